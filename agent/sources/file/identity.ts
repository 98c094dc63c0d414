// Which file is this? Device and inode alone are not enough: inodes are
// reused as soon as a file is deleted (beats#34419), and a copy (copytruncate,
// gzip) has a new inode but the same content. So a file is known by its
// device, inode and a fingerprint of its first bytes: the first line, or the
// first 1 KiB when the first line is longer. That span depends only on
// content that never changes in an append-only file, so the same file yields
// the same identity on every run, and a copy or a .gz of it yields the same
// fingerprint.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

export const FINGERPRINT_MAX_BYTES = 1024;

export interface Fingerprint {
  /** Bytes covered: through the first newline, at most FINGERPRINT_MAX_BYTES. */
  length: number;
  /** sha256 of those bytes, hex. */
  hash: string;
}

/**
 * The fingerprint of a file whose first bytes are `head`, or undefined while
 * the file has neither a complete first line nor 1 KiB (nothing could be read
 * from it yet anyway: a partial line is held back).
 */
export function fingerprintOf(head: Buffer): Fingerprint | undefined {
  const newline = head.indexOf(0x0a);
  let length: number;
  if (newline >= 0 && newline < FINGERPRINT_MAX_BYTES) length = newline + 1;
  else if (head.length >= FINGERPRINT_MAX_BYTES) length = FINGERPRINT_MAX_BYTES;
  else return undefined;
  return { length, hash: createHash('sha256').update(head.subarray(0, length)).digest('hex') };
}

/** Whether a file that starts with `head` has the fingerprint `fp`. */
export function matchesFingerprint(head: Buffer, fp: { length: number; hash: string }): boolean {
  if (head.length < fp.length) return false;
  return createHash('sha256').update(head.subarray(0, fp.length)).digest('hex') === fp.hash;
}

/**
 * The string that names a file in checkpoints and event ids. A file
 * truncated and refilled in place keeps its inode and may keep its first line:
 * its new content is a later generation of that identity (tail.ts tells them
 * apart), so its lines get ids of their own. Generation 0 has no suffix.
 */
export function identityKey(dev: number, ino: number, fp: Fingerprint, generation = 0): string {
  const key = `${dev}:${ino}:${fp.hash.slice(0, 16)}`;
  return generation === 0 ? key : `${key}:g${generation}`;
}

/** The first bytes of an open file (fewer if it is shorter). */
export async function readHead(handle: FileHandle): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(FINGERPRINT_MAX_BYTES);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** The first decompressed bytes of a .gz file; a file still being compressed may end early. */
export async function readGzipHead(path: string): Promise<Buffer> {
  const input = createReadStream(path);
  const gunzip = createGunzip();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of input.pipe(gunzip)) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= FINGERPRINT_MAX_BYTES) break;
    }
  } catch (error) {
    // A truncated stream (gzip still writing) still gives a usable head.
    if (size === 0) throw error;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(chunks).subarray(0, FINGERPRINT_MAX_BYTES);
}
