// What was read just before a position, to tell whether a file still holds
// it. A file truncated and refilled in place keeps its inode, and often its
// first line (a banner, a header, the same first message after a restart):
// the first-line fingerprint cannot see that. The bytes just before where
// reading stopped can. The source keeps the last KiB it read of every file,
// compares it with the file before reading on, and saves its hash with each
// checkpoint, so that a restart can check it too. Size alone is not enough:
// a file refilled past the old offset before anyone looked has grown.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export const TAIL_BYTES = 1024;

/** A saved tail: the hash of the `length` bytes that end at byte `end`. */
export interface TailMark {
  end: number;
  length: number;
  hash: string;
}

/** The last bytes read from one file, and where they end. */
export class TailBytes {
  #bytes: Buffer = Buffer.alloc(0);
  #end = 0;

  /** Where the remembered bytes end: the read position. */
  get end(): number {
    return this.#end;
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** A chunk was read that ends at `end`; the chunk may be reused afterwards. */
  push(chunk: Buffer, end: number): void {
    // Not contiguous with what came before (a reader that skipped ahead): start over.
    const previous = end - chunk.length === this.#end ? this.#bytes : Buffer.alloc(0);
    if (chunk.length >= TAIL_BYTES) {
      this.#bytes = Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES));
    } else {
      const joined = Buffer.concat([previous, chunk]);
      this.#bytes = joined.length > TAIL_BYTES ? Buffer.from(joined.subarray(joined.length - TAIL_BYTES)) : joined;
    }
    this.#end = end;
  }

  /** Starts from bytes known to end at `end` (read back from the file on resume). */
  reset(bytes: Buffer, end: number): void {
    this.#bytes = Buffer.from(bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)));
    this.#end = end;
  }

  /** What a checkpoint saves; undefined while nothing was read. */
  mark(): TailMark | undefined {
    if (this.#bytes.length === 0) return undefined;
    return { end: this.#end, length: this.#bytes.length, hash: hashOf(this.#bytes) };
  }

  /** Whether the file behind `handle` still holds these bytes where they were read. */
  async heldBy(handle: FileHandle): Promise<boolean> {
    if (this.#bytes.length === 0) return true;
    const found = await readAt(handle, this.#end - this.#bytes.length, this.#bytes.length);
    return found.equals(this.#bytes);
  }
}

/**
 * Whether a file of `size` bytes still holds what `mark` describes: 'changed'
 * when it is shorter than where the mark ends or its bytes there differ.
 */
export async function checkTail(handle: FileHandle, mark: TailMark, size: number): Promise<'same' | 'changed'> {
  if (size < mark.end) return 'changed';
  const found = await readAt(handle, mark.end - mark.length, mark.length);
  return found.length === mark.length && hashOf(found) === mark.hash ? 'same' : 'changed';
}

/** Up to `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

function hashOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}
