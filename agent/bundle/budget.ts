// The --max-size budget, shared by every source.
//
// Policy (kept simple on purpose):
// - The budget is for the compressed bundle, but compression happens later,
//   in one pass. We therefore budget staged (redacted, uncompressed) bytes at
//   ASSUMED_RATIO times --max-size. Logs compress 5-10:1 with gzip; 4 is
//   a deliberately low guess, so a bundle comes out at or under its budget
//   rather than over it.
// - Small structured files (inspect JSON, host facts, tables: anything that
//   is not a `.log`) are never cut: a cut JSON document is useless. They are
//   paid for first.
// - The rest is shared among the logs by water-filling: a log smaller than
//   the fair share is kept whole and its unused share goes to the others;
//   every larger log is cut to the same size. Nobody's one noisy container
//   pushes everyone else out.
// - A cut log keeps its head (a quarter: how it started) and its tail (three
//   quarters: the newest lines, which matter most), cut at line boundaries,
//   with one marker line between saying how much was left out.
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Static } from '@sinclair/typebox';
import type { TruncationSchema } from '../../schemas/bundle-manifest.ts';

export type Truncation = Static<typeof TruncationSchema>;

export const ASSUMED_RATIO = 4;
export const HEAD_SHARE = 0.25;
export const TRUNCATION_REASON = 'max_size';

export interface BudgetEntry {
  path: string;
  size: number;
  truncatable: boolean;
}

/** Logs may be cut (container and spool `.log` files, syslog files); structured files never. */
export function isTruncatable(path: string): boolean {
  return path.endsWith('.log') || path.startsWith('syslog/');
}

/** Staged bytes allowed for a compressed budget. */
export function stagedBudget(maxCompressedBytes: number, ratio = ASSUMED_RATIO): number {
  return Math.max(0, Math.floor(maxCompressedBytes * ratio));
}

/** Which files to cut, and to how many bytes each (before line alignment). */
export function planBudget(entries: readonly BudgetEntry[], budget: number): { path: string; keep: number }[] {
  let room = budget;
  for (const entry of entries) if (!entry.truncatable) room -= entry.size;
  room = Math.max(0, room);
  const logs = entries.filter((entry) => entry.truncatable).sort((a, b) => a.size - b.size);
  const cuts: { path: string; keep: number }[] = [];
  for (let index = 0; index < logs.length; index++) {
    const entry = logs[index] as BudgetEntry;
    const share = Math.floor(room / (logs.length - index));
    if (entry.size <= share) {
      room -= entry.size;
      continue;
    }
    // Sorted by size: every later file is larger than this share too.
    for (const rest of logs.slice(index)) cuts.push({ path: rest.path, keep: share });
    break;
  }
  return cuts;
}

/** The marker line between a cut file's head and tail. */
export function truncationMarker(cutBytes: number): string {
  return `[shiplog: ${cutBytes} bytes left out here to fit the bundle's size budget (--max-size); the newest lines follow]\n`;
}

/**
 * Cuts the file at `file` to at most `keep` bytes, marker included, head and
 * tail at line boundaries, streaming (the file is never held in memory).
 * Returns the truncation record; kept_size counts the original bytes kept.
 */
export async function truncateFile(
  file: string,
  bundlePath: string,
  keep: number,
): Promise<Truncation & { size: number }> {
  const size = (await stat(file)).size;
  // The marker is paid from the file's share (its longest form: cut = whole size).
  const content = Math.max(0, keep - Buffer.byteLength(truncationMarker(size)));
  const headEnd = await lineBoundaryBefore(file, Math.floor(content * HEAD_SHARE));
  const tailStart = Math.max(
    headEnd,
    await lineBoundaryAfter(file, size - (content - Math.floor(content * HEAD_SHARE)), size),
  );
  const kept = headEnd + (size - tailStart);
  const marker = truncationMarker(size - kept);
  const temp = `${file}.cut`;
  const out = createWriteStream(temp, { flags: 'wx' });
  if (headEnd > 0) await pipeline(createReadStream(file, { start: 0, end: headEnd - 1 }), out, { end: false });
  out.write(marker);
  if (tailStart < size) await pipeline(createReadStream(file, { start: tailStart, end: size - 1 }), out);
  else
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  await rename(temp, file);
  return {
    path: bundlePath,
    original_size: size,
    kept_size: kept,
    reason: TRUNCATION_REASON,
    size: kept + Buffer.byteLength(marker),
  };
}

// How far to look for a newline near a cut point; a longer line is cut mid-line.
const SEEK = 64 * 1024;

/** The offset just after the last newline at or before `at` (0 if none near). */
async function lineBoundaryBefore(file: string, at: number): Promise<number> {
  if (at <= 0) return 0;
  const from = Math.max(0, at - SEEK);
  const bytes = await readRange(file, from, at - from);
  const newline = bytes.lastIndexOf(0x0a);
  return newline < 0 ? (from === 0 ? 0 : at) : from + newline + 1;
}

/** The offset just after the first newline at or after `at - 1` (so a line starting at `at` is kept whole). */
async function lineBoundaryAfter(file: string, at: number, size: number): Promise<number> {
  if (at <= 0) return 0;
  if (at >= size) return size;
  const bytes = await readRange(file, at - 1, Math.min(SEEK, size - at + 1));
  const newline = bytes.indexOf(0x0a);
  return newline < 0 ? at : at - 1 + newline + 1;
}

async function readRange(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
