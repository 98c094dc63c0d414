// A read-only view of a spool for support bundles: no lock, no recovery, no
// retention, no cursors, and nothing written, so it can read the spool of a
// running agent (which holds the lock and keeps appending) or of a stopped one.
//
// The segment files are listed at open. Older segments are read whole; damage
// inside them is skipped up to the next intact record and counted, as the
// recovery scan does. The newest one may be being appended to: it is read up
// to its last complete, valid record, and what follows (a frame half written,
// or a torn tail no agent has cut yet) ends it uncounted. A segment deleted by
// the agent's retention after the listing is skipped and noted.
import { type FileHandle, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../../core/coded-error.ts';
import { agentErrors } from '../errors.ts';
import { isFiller, isFrame } from './record.ts';
import { FileWindow, parseSegmentFileName, segmentFileName } from './segment.ts';
import type { ScanWindow, SpoolOptions, SpoolRecord } from './types.ts';

export type ReadOnlySpoolOptions = Pick<SpoolOptions, 'dataDir' | 'onWarning'>;

export interface ReadOnlySpoolStats {
  dir: string;
  /** Segment files listed at open. */
  segments: number;
  /** Listed segments gone when a scan came to them (deleted by a running agent's retention). */
  missingSegments: number;
  /** Damaged places skipped (not counting the newest segment's unfinished tail). */
  corruptions: number;
  corruptBytes: number;
  /** What was skipped and why, newest last. */
  warnings: string[];
}

const KEPT_WARNINGS = 20;

export class ReadOnlySpool {
  readonly #dir: string;
  readonly #ids: readonly number[];
  readonly #onWarning: ((message: string) => void) | undefined;
  #missing = 0;
  #corruptions = 0;
  #corruptBytes = 0;
  readonly #warnings: string[] = [];

  private constructor(dir: string, ids: readonly number[], onWarning?: (message: string) => void) {
    this.#dir = dir;
    this.#ids = ids;
    this.#onWarning = onWarning;
  }

  /** Lists the segments of `<dataDir>/spool`; takes no lock and writes nothing. */
  static async open(options: ReadOnlySpoolOptions): Promise<ReadOnlySpool> {
    const dir = join(options.dataDir, 'spool');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      throw new CodedError(agentErrors.SPOOL_IO, { dir, detail: String(error) }, { cause: error });
    }
    const ids: number[] = [];
    for (const name of names) {
      const id = parseSegmentFileName(name);
      if (id !== undefined) ids.push(id);
    }
    ids.sort((a, b) => a - b);
    return new ReadOnlySpool(dir, ids, options.onWarning);
  }

  /** Every record appended within the window to the segments listed at open, oldest first. */
  async *scan(window: ScanWindow = {}): AsyncGenerator<SpoolRecord> {
    const since = window.since?.getTime() ?? Number.NEGATIVE_INFINITY;
    const until = window.until?.getTime() ?? Number.POSITIVE_INFINITY;
    const newest = this.#ids.at(-1);
    for (const id of this.#ids) {
      const path = join(this.#dir, segmentFileName(id));
      let handle: FileHandle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          this.#missing++;
          this.#warn(`spool segment ${path} was deleted (by the agent's retention) before it could be read`);
        } else {
          this.#warn(`cannot read spool segment ${path} (${String(error)}); skipping it`);
        }
        continue;
      }
      try {
        yield* this.#segment(handle, path, id, id === newest, since, until);
      } finally {
        await handle.close();
      }
    }
  }

  async *#segment(
    handle: FileHandle,
    path: string,
    id: number,
    growing: boolean,
    since: number,
    until: number,
  ): AsyncGenerator<SpoolRecord> {
    // The size now bounds the read: what is appended later is not part of this scan.
    const size = (await handle.stat()).size;
    const reader = new FileWindow(handle);
    let at = 0;
    let index = 0;
    let lastTime = Date.now();
    while (at < size) {
      const frame = await reader.frameAt(at, size);
      if (isFrame(frame)) {
        if (!isFiller(frame)) {
          if (frame.time >= since && frame.time <= until) {
            yield { data: frame.payload, time: frame.time, position: { segment: id, offset: at, index } };
          }
          lastTime = frame.time;
          index++;
        }
        at = frame.end;
        continue;
      }
      const next = await reader.resync(at + 1, size, lastTime);
      if (next === undefined) {
        // The newest segment's tail is a record still being written (or a torn one the agent cuts at its next open).
        if (!growing) this.#damage(path, size - at);
        return;
      }
      this.#damage(path, next - at);
      at = next;
    }
  }

  #damage(path: string, bytes: number): void {
    this.#corruptions++;
    this.#corruptBytes += bytes;
    this.#warn(`spool segment ${path}: a damaged place of ${bytes} bytes was skipped`);
  }

  #warn(message: string): void {
    this.#warnings.push(message);
    if (this.#warnings.length > KEPT_WARNINGS) this.#warnings.shift();
    this.#onWarning?.(message);
  }

  stats(): ReadOnlySpoolStats {
    return {
      dir: this.#dir,
      segments: this.#ids.length,
      missingSegments: this.#missing,
      corruptions: this.#corruptions,
      corruptBytes: this.#corruptBytes,
      warnings: [...this.#warnings],
    };
  }

  /** Nothing is held between scans; for symmetry with Spool. */
  async close(): Promise<void> {}
}
