// Rotated siblings seen from one tailed path: which of them still hold
// unread lines when the source starts (after downtime), and which one is the
// copy of a file that was just truncated (copytruncate).
import { open, stat } from 'node:fs/promises';
import type { FileCheckpoint, FileCheckpoints } from './checkpoint.ts';
import { fpOf } from './checkpoint.ts';
import { type Fingerprint, fingerprintOf, matchesFingerprint, readGzipHead, readHead } from './identity.ts';
import { type ChunkReader, GzipReader, PlainReader } from './reader.ts';
import { listSiblings } from './rotated.ts';

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
 * path that appeared and was rotated before it was picked up).
 */
export async function unreadSiblings(livePath: string, ctx: CatchupContext): Promise<UnreadSibling[]> {
  const found: (UnreadSibling & { done: boolean; known: boolean })[] = [];
  for (const sibling of await listSiblings(livePath, ctx.readGzip)) {
    try {
      const info = await stat(sibling.path);
      const head = sibling.gzip ? await readGzipHead(sibling.path) : await headOf(sibling.path);
      const fp = fingerprintOf(head);
      if (!fp) continue;
      // A .gz has an inode of its own; only its content ties it to an identity.
      const entry =
        (sibling.gzip ? undefined : ctx.book.findByInode(info.dev, info.ino, head)) ?? ctx.book.findByContent(head);
      if (entry) entry.seenAt = ctx.now();
      const done = entry !== undefined && (entry.complete || (!sibling.gzip && entry.offset >= info.size));
      // File times come from a coarse kernel clock: allow a second of slack.
      const known = entry !== undefined || info.mtimeMs >= ctx.startedAt - 1000;
      found.push({ path: sibling.path, gzip: sibling.gzip, dev: info.dev, ino: info.ino, entry, fp, done, known });
    } catch (error) {
      ctx.onError(sibling.path, error);
    }
  }
  const first = found.findIndex((f) => f.known);
  return first < 0 ? [] : found.slice(first).filter((f) => !f.done);
}

/** The rotated copy of an identity (same first bytes) that holds bytes past `position`. */
export async function findCopy(
  livePath: string,
  entry: FileCheckpoint,
  position: number,
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
        if (info.size >= position && matchesFingerprint(await readHead(handle), fpOf(entry))) {
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
