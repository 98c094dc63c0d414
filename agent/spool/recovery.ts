// Opening a spool after a crash or a power cut: the saved cursors are loaded,
// every segment is checked, and the damage found is counted and repaired.
import { type FileHandle, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type CheckpointStore, syncDirectory } from '../checkpoint/store.ts';
import {
  type CursorFix,
  parseSegmentFileName,
  recoverSegment,
  repairSegment,
  type SegmentInfo,
  segmentFileName,
} from './segment.ts';
import type { SpoolState } from './state.ts';
import type { SpoolPosition } from './types.ts';

export const CURSORS = 'cursors';
const START: SpoolPosition = { segment: 0, offset: 0, index: 0 };

/** Where each reader starts: its saved cursor, or the oldest record when it has none (or an unreadable one). */
export async function loadCursors(store: CheckpointStore, names: readonly string[], state: SpoolState) {
  const starts = new Map<string, SpoolPosition>();
  for (const name of names) {
    const saved = await store.load<unknown>(name);
    if (saved === undefined) starts.set(name, START);
    else if (isPosition(saved)) starts.set(name, saved);
    else {
      state.warn(`spool cursor "${name}" has an unexpected shape; reading from the oldest record`);
      starts.set(name, START);
    }
  }
  return starts;
}

function isPosition(value: unknown): value is SpoolPosition {
  if (typeof value !== 'object' || value === null) return false;
  const { segment, offset, index } = value as Record<string, unknown>;
  return [segment, offset, index].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
}

/**
 * Rebuilds the segment list from the directory. Every record is checked; a
 * torn tail is cut off and damage inside a segment is skipped up to the next
 * intact record; both are counted (spool_corrupt), never thrown, and repaired
 * on disk so the next open does not count them again. All recovered segments
 * are sealed: appends start a new one.
 */
export async function recover(state: SpoolState, starts: Map<string, SpoolPosition>): Promise<void> {
  const { dir, fsync } = state.options;
  const ids: number[] = [];
  for (const name of await readdir(dir)) {
    const id = parseSegmentFileName(name);
    if (id !== undefined) ids.push(id);
    else if (name !== 'LOCK' && name !== CURSORS && !name.startsWith('LOCK.')) state.ignoredFiles++;
  }
  if (state.ignoredFiles > 0) state.warn(`${state.ignoredFiles} unknown file(s) in ${dir} are ignored`);
  ids.sort((a, b) => a - b);
  const now = state.now();
  for (const id of ids) {
    const path = join(dir, segmentFileName(id));
    const fixes = new Map<string, CursorFix>();
    for (const [name, start] of starts) {
      if (start.segment === id) fixes.set(name, { offset: start.offset, snapped: 0, index: 0 });
    }
    const segment = await recoverOne(state, path, id, [...fixes.values()], now);
    for (const [name, fix] of fixes) starts.set(name, { segment: id, offset: fix.snapped, index: fix.index });
    if (!segment) continue;
    if (segment.records === 0) {
      // Nothing usable in it (created just before a crash, or all damage).
      await unlink(path).catch(() => undefined);
      continue;
    }
    state.segments.push(segment);
    state.bytesUsed += segment.bytes;
  }
  if (fsync !== 'never') await syncDirectory(dir);
  // Ids only grow, even past cursors that point at segments since deleted.
  const highest = Math.max(0, ...ids, ...[...starts.values()].map((start) => start.segment));
  state.nextSegmentId = highest + 1;
}

async function recoverOne(
  state: SpoolState,
  path: string,
  id: number,
  fixes: CursorFix[],
  now: number,
): Promise<SegmentInfo | undefined> {
  let handle: FileHandle;
  let size: number;
  try {
    handle = await open(path, 'r');
    size = (await stat(path)).size;
  } catch (error) {
    state.ignoredFiles++;
    state.warn(`cannot read spool segment ${path} (${String(error)}); ignoring it`);
    return undefined;
  }
  let found: Awaited<ReturnType<typeof recoverSegment>>;
  try {
    found = await recoverSegment(handle, size, fixes, now);
  } catch (error) {
    state.ignoredFiles++;
    state.warn(`cannot read spool segment ${path} (${String(error)}); ignoring it`);
    return undefined;
  } finally {
    await handle.close();
  }
  let bytes = size;
  let holes = found.holes;
  if (found.corruptions > 0) {
    state.drop('spool_corrupt', found.corruptions, false);
    state.corruptBytes += found.corruptBytes;
    state.warn(`spool segment ${path}: ${found.corruptions} damaged place(s), ${found.corruptBytes} bytes skipped`);
    try {
      const writable = await open(path, 'r+');
      try {
        holes = await repairSegment(writable, found, size);
        bytes = found.end;
      } finally {
        await writable.close();
      }
    } catch (error) {
      // Readers still skip the damage; the next open counts it again.
      state.warn(`cannot repair spool segment ${path}: ${String(error)}`);
    }
  }
  return {
    id,
    path,
    end: found.end,
    durable: found.end,
    bytes,
    records: found.records,
    minTime: found.minTime,
    maxTime: found.maxTime,
    holes,
    sealed: true,
  };
}
