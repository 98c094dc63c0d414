// What was lost while the agent was not running: identities of a tailed path
// that the checkpoints name, that were not read to their end, and that are
// nowhere on disk any more (rotated past logrotate's count and deleted, or
// rewritten in place). Rotated and still there, plain or .gz, they are read,
// not counted: catch-up finds them by inode or content first.
//
// How many bytes: the checkpoint keeps each file's size when it was last seen,
// so what was seen but not read is known exactly; what the file received
// after the agent stopped is gone with it and cannot be known, so the count
// is "at least". A .gz left unread because read_rotated_gz is off still says
// its exact size (the gzip trailer holds it).
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileCheckpoint, FileCheckpoints } from './checkpoint.ts';
import { fpOf } from './checkpoint.ts';
import { matchesFingerprint, readGzipHead } from './identity.ts';
import { belongsTo, listSiblings } from './rotated.ts';

export interface Gap {
  entry: FileCheckpoint;
  /** Bytes known to be lost (at least this many unless `exact`). */
  bytes: number;
  exact: boolean;
  /** The file it was last seen as. */
  file: string;
  detail: string;
}

/**
 * The identities of `livePath` that are gone unread: not complete, not found
 * on disk by this start (`matched`), not being read (`claimed`).
 */
export async function lostIdentities(
  livePath: string,
  book: FileCheckpoints,
  matched: ReadonlySet<string>,
  claimed: ReadonlySet<string>,
  readGzip: boolean,
): Promise<Gap[]> {
  const gaps: Gap[] = [];
  for (const entry of book.all()) {
    if (entry.complete || matched.has(entry.key) || claimed.has(entry.key) || !belongsTo(entry.path, livePath))
      continue;
    gaps.push((readGzip ? undefined : await unreadGzip(livePath, entry)) ?? goneGap(entry));
  }
  return gaps;
}

/** A gap for an identity with nothing left on disk. */
export function goneGap(entry: FileCheckpoint): Gap {
  const seen = entry.size ?? entry.offset;
  const bytes = Math.max(0, seen - entry.offset);
  const after =
    bytes > 0
      ? `it held ${seen} bytes when last seen; lines written to it after that are lost too and cannot be counted`
      : 'it had been read to its end when last seen, but lines written to it after that, if any, are lost and cannot be counted';
  return {
    entry,
    bytes,
    exact: false,
    file: entry.path,
    detail: `it was rotated away and deleted, or truncated, while the agent was not running; ${after}`,
  };
}

/** The identity compressed into a .gz that read_rotated_gz: false leaves unread, with its exact size. */
async function unreadGzip(livePath: string, entry: FileCheckpoint): Promise<Gap | undefined> {
  for (const sibling of await listSiblings(livePath, true)) {
    if (!sibling.gzip) continue;
    try {
      if (!matchesFingerprint(await readGzipHead(sibling.path), fpOf(entry))) continue;
      const size = await gzipSize(sibling.path);
      return {
        entry,
        bytes: Math.max(0, size - entry.offset),
        exact: true,
        file: sibling.path,
        detail: `it was compressed into ${basename(sibling.path)}, which sources.files.read_rotated_gz: false leaves unread`,
      };
    } catch {
      // Unreadable or not a gzip file after all: not this identity's copy.
    }
  }
  return undefined;
}

/** The uncompressed size a gzip file's trailer records (modulo 4 GiB, as RFC 1952 has it). */
async function gzipSize(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const trailer = Buffer.alloc(4);
    await handle.read(trailer, 0, 4, Math.max(0, size - 4));
    return trailer.readUInt32LE(0);
  } finally {
    await handle.close();
  }
}
