// Segment files: naming, windowed reading, and the recovery scan at open.
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../checkpoint/store.ts';
import {
  BAD,
  type Decoded,
  decodeFrame,
  FRAME_OVERHEAD,
  type Frame,
  fillerFrame,
  isFiller,
  isFrame,
  plausibleStart,
} from './record.ts';

/** In-memory facts about one segment file. */
export interface SegmentInfo {
  readonly id: number;
  readonly path: string;
  /** Offset after the last record written. */
  end: number;
  /** Offset up to which records are durable and visible to readers. */
  durable: number;
  /** Bytes the file takes on disk (beyond `end` only for damaged old segments). */
  bytes: number;
  records: number;
  /** Append times of its oldest and newest record (NaN while empty). */
  minTime: number;
  maxTime: number;
  /** Damaged ranges [start, end) found at open, skipped by readers. */
  holes: [number, number][];
  /** No more appends go here. */
  sealed: boolean;
}

const NAME = /^(\d{12})\.seg$/;

export function segmentFileName(id: number): string {
  return `${String(id).padStart(12, '0')}.seg`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const match = NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** Creates the file of a new, empty segment; with `durable`, its directory entry survives a power cut too. */
export async function createSegment(
  dir: string,
  id: number,
  durable: boolean,
): Promise<{ segment: SegmentInfo; handle: FileHandle }> {
  const path = join(dir, segmentFileName(id));
  const handle = await open(path, 'wx');
  if (durable) await syncDirectory(dir);
  const segment: SegmentInfo = {
    id,
    path,
    end: 0,
    durable: 0,
    bytes: 0,
    records: 0,
    minTime: Number.NaN,
    maxTime: Number.NaN,
    holes: [],
    sealed: false,
  };
  return { segment, handle };
}

const WINDOW_BYTES = 1 << 20;
const EMPTY = Buffer.alloc(0);

/**
 * Sequential reading of a file through a window of at least 1 MiB. Each load
 * fills a new buffer, so payload views handed out earlier stay valid.
 */
export class FileWindow {
  readonly #handle: FileHandle;
  #buffer: Buffer = EMPTY;
  #base = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /** Decodes the frame at `at` if the window holds enough of it; `more` otherwise. */
  decode(at: number, limit: number): Decoded {
    if (at < this.#base || at > this.#base + this.#buffer.length) return { kind: 'more', need: FRAME_OVERHEAD };
    return decodeFrame(this.#buffer, this.#base, at, limit);
  }

  /** Loads [at, at + max(need, 1 MiB)) clipped to `limit`. */
  async load(at: number, need: number, limit: number): Promise<void> {
    const length = Math.max(0, Math.min(Math.max(need, WINDOW_BYTES), limit - at));
    const buffer = Buffer.allocUnsafeSlow(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.#handle.read(buffer, filled, length - filled, at + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.#buffer = filled === length ? buffer : buffer.subarray(0, filled);
    this.#base = at;
  }

  /** The frame at `at`, loading as needed; BAD when the bytes there are not a valid frame. */
  async frameAt(at: number, limit: number): Promise<Decoded> {
    let decoded = this.decode(at, limit);
    // The first load may learn only the header; a frame larger than the
    // window then needs a second load of its full length.
    for (let loads = 0; 'kind' in decoded && decoded.kind === 'more'; loads++) {
      if (loads === 2) return BAD;
      await this.load(at, decoded.need, limit);
      decoded = this.decode(at, limit);
    }
    return decoded;
  }

  /**
   * The offset of the next valid frame after damage at `from`, or undefined.
   * `around` is the time of the last good record (see plausibleStart).
   */
  async resync(from: number, limit: number, around: number): Promise<number | undefined> {
    for (let at = from; at + FRAME_OVERHEAD <= limit; at++) {
      if (at < this.#base || at + FRAME_OVERHEAD > this.#base + this.#buffer.length) {
        await this.load(at, FRAME_OVERHEAD, limit);
      }
      if (!plausibleStart(this.#buffer, this.#base, at, limit, around)) continue;
      const decoded = await this.frameAt(at, limit);
      if (isFrame(decoded)) return at;
    }
    return undefined;
  }
}

export interface Recovery {
  /** Offset after the last valid record: the rest is a torn tail. */
  end: number;
  records: number;
  minTime: number;
  maxTime: number;
  holes: [number, number][];
  /** Damaged places found (holes plus a torn tail). */
  corruptions: number;
  corruptBytes: number;
}

/** Where a saved cursor lands on a record boundary, and how many records precede it. */
export interface CursorFix {
  offset: number;
  snapped: number;
  index: number;
}

/**
 * Reads a whole segment, checking every record. Damage is skipped by searching
 * for the next valid record, so intact records after it are kept; whatever
 * follows the last valid record is a torn tail. Never throws on content.
 */
export async function recoverSegment(
  handle: FileHandle,
  size: number,
  cursors: CursorFix[],
  now: number,
): Promise<Recovery> {
  const window = new FileWindow(handle);
  const result: Recovery = {
    end: 0,
    records: 0,
    minTime: Number.NaN,
    maxTime: Number.NaN,
    holes: [],
    corruptions: 0,
    corruptBytes: 0,
  };
  let at = 0;
  let lastTime = now;
  while (at < size) {
    const decoded = await window.frameAt(at, size);
    if (isFrame(decoded) && isFiller(decoded)) {
      // Damage repaired by an earlier open: already counted then.
      for (const cursor of cursors) if (decoded.end <= cursor.offset) cursor.snapped = decoded.end;
      at = decoded.end;
      continue;
    }
    if (isFrame(decoded)) {
      place(cursors, decoded, result.records);
      addRecord(result, decoded);
      lastTime = decoded.time;
      at = decoded.end;
      continue;
    }
    const next = await window.resync(at + 1, size, lastTime);
    result.corruptions++;
    if (next === undefined) {
      result.corruptBytes += size - at;
      break;
    }
    result.holes.push([at, next]);
    result.corruptBytes += next - at;
    for (const cursor of cursors) if (next <= cursor.offset) cursor.snapped = next;
    at = next;
  }
  return result;
}

function addRecord(result: Recovery, frame: Frame): void {
  result.records++;
  result.end = frame.end;
  if (!(frame.time >= result.minTime)) result.minTime = frame.time;
  if (!(frame.time <= result.maxTime)) result.maxTime = frame.time;
}

/**
 * A cursor snaps back to the last record boundary at or before it (a cursor
 * inside a record, from a damaged cursor file, re-delivers that record rather
 * than skipping it).
 */
function place(cursors: CursorFix[], frame: Frame, before: number): void {
  for (const cursor of cursors) {
    if (frame.start <= cursor.offset) {
      cursor.snapped = frame.start;
      cursor.index = before;
    }
    if (frame.end <= cursor.offset) {
      cursor.snapped = frame.end;
      cursor.index = before + 1;
    }
  }
}

/**
 * Makes a damaged segment clean on disk so that its damage is counted once:
 * holes are overwritten with filler frames and a torn tail is cut. Holes too
 * short for a frame stay holes. Returns the holes that remain.
 */
export async function repairSegment(handle: FileHandle, found: Recovery, size: number): Promise<[number, number][]> {
  const remaining: [number, number][] = [];
  for (const [start, end] of found.holes) {
    if (end - start < FRAME_OVERHEAD) {
      remaining.push([start, end]);
      continue;
    }
    const filler = fillerFrame(end - start);
    await handle.write(filler, 0, filler.length, start);
  }
  if (found.end < size) await handle.truncate(found.end);
  await handle.datasync();
  return remaining;
}
