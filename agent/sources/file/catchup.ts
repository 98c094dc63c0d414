// Rotated siblings seen from one tailed path: which of them still hold
// unread lines when the source starts (after downtime), and which one is the
// copy of a file that was just truncated (copytruncate).
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileCheckpoint, FileCheckpoints } from './checkpoint.ts';
import { fpOf } from './checkpoint.ts';
import { type Fingerprint, fingerprintOf, matchesFingerprint, readGzipHead, readHead } from './identity.ts';
import { type ChunkReader, GzipReader, PlainReader } from './reader.ts';
import { belongsTo, listSiblings } from './rotated.ts';
import { checkTail, type TailBytes } from './tail.ts';

export interface CatchupContext {
  readonly book: FileCheckpoints;
  readonly readGzip: boolean;
  readonly chunkBytes: number;
  /** When the source started (epoch ms): a file written since then is never history. */
  readonly startedAt: number;
  now(): number;
  onError(path: string, error: unknown): void;
}

export interface UnreadSibling {
  path: string;
  gzip: boolean;
  dev: number;
  ino: number;
  /** The identity it was read under before; absent for one never seen. */
  entry: FileCheckpoint | undefined;
  fp: Fingerprint;
}

/**
 * Siblings of `livePath` to read before it, oldest first: from the oldest one
 * already known on (older ones predate this agent), skipping those read to
 * their end. A sibling written since the source started is never history (a
 * path that appeared and was rotated before it was picked up), and neither is
 * one written since this path was last looked at: after downtime, a file
 * rotated in after the one the checkpoint names (which may be gone) is unread.
 * `matched` gets the identities found on disk, read or not.
 */
export async function unreadSiblings(
  livePath: string,
  ctx: CatchupContext,
  matched?: Set<string>,
): Promise<UnreadSibling[]> {
  // When this path was last looked at (by an earlier run): anything written since is unread.
  let since = ctx.startedAt;
  let lastSeen: number | undefined;
  for (const entry of ctx.book.all()) {
    if (belongsTo(entry.path, livePath)) lastSeen = Math.max(lastSeen ?? 0, entry.seenAt);
  }
  if (lastSeen !== undefined) since = Math.min(since, lastSeen);
  const found: (UnreadSibling & { done: boolean; known: boolean })[] = [];
  for (const sibling of await listSiblings(livePath, ctx.readGzip)) {
    try {
      const info = await stat(sibling.path);
      const head = sibling.gzip ? await readGzipHead(sibling.path) : await headOf(sibling.path);
      const fp = fingerprintOf(head);
      if (!fp) continue;
      const entry = await identify(ctx.book, sibling.path, sibling.gzip, info, head);
      if (entry) {
        entry.seenAt = ctx.now();
        matched?.add(entry.key);
      }
      const done = entry !== undefined && (entry.complete || (!sibling.gzip && entry.offset >= info.size));
      // File times come from a coarse kernel clock: allow a second of slack.
      const known = entry !== undefined || info.mtimeMs >= since - 1000;
      found.push({ path: sibling.path, gzip: sibling.gzip, dev: info.dev, ino: info.ino, entry, fp, done, known });
    } catch (error) {
      ctx.onError(sibling.path, error);
    }
  }
  const first = found.findIndex((f) => f.known);
  return first < 0 ? [] : found.slice(first).filter((f) => !f.done);
}

/**
 * The identity a rotated sibling holds: the one on its inode, else one whose
 * first line it starts with (a copy). Where a candidate saved its tail, the
 * sibling must still hold those bytes: several identities can share a first
 * line (a file rewritten in place), and only the tail tells them apart. A
 * .gz is matched by its first line alone (checking its tail means inflating it).
 */
async function identify(
  book: FileCheckpoints,
  path: string,
  gzip: boolean,
  info: Stats,
  head: Buffer,
): Promise<FileCheckpoint | undefined> {
  if (gzip) return book.findByContent(head);
  const byInode = book.findByInode(info.dev, info.ino, head);
  const candidates = [...(byInode ? [byInode] : []), ...book.candidatesByContent(head).filter((e) => e !== byInode)];
  if (candidates.every((entry) => !entry.tail)) return candidates[0];
  const handle = await open(path, 'r');
  try {
    for (const entry of candidates) {
      if (!entry.tail || (await checkTail(handle, entry.tail, info.size)) === 'same') return entry;
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

/**
 * The rotated copy of an identity (same first bytes, and for a plain file the
 * same bytes just before `position`, which `tail` holds) that holds bytes
 * past `position`.
 */
export async function findCopy(
  livePath: string,
  entry: FileCheckpoint,
  position: number,
  tail: TailBytes,
  ctx: CatchupContext,
): Promise<{ reader: ChunkReader; dev: number; ino: number; gzip: boolean } | undefined> {
  // Newest first: copytruncate has just written the copy as name.1.
  for (const sibling of (await listSiblings(livePath, ctx.readGzip)).reverse()) {
    try {
      if (sibling.gzip) {
        if (matchesFingerprint(await readGzipHead(sibling.path), fpOf(entry))) {
          return { reader: new GzipReader(sibling.path), dev: 0, ino: 0, gzip: true };
        }
        continue;
      }
      const handle = await open(sibling.path, 'r');
      try {
        const info = await handle.stat();
        if (
          info.size >= position &&
          matchesFingerprint(await readHead(handle), fpOf(entry)) &&
          (await tail.heldBy(handle))
        ) {
          return { reader: new PlainReader(handle, ctx.chunkBytes), dev: info.dev, ino: info.ino, gzip: false };
        }
      } catch {
        // Falls through to close it.
      }
      await handle.close();
    } catch {
      // A sibling that vanished or cannot be read is not the copy.
    }
  }
  return undefined;
}

async function headOf(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    return await readHead(handle);
  } finally {
    await handle.close();
  }
}
