// Turns a file's bytes into lines with their byte offsets. A trailing line
// without its newline is held back (fluent-bit#11265 lost those) until the
// newline arrives or the file is finished. A line longer than max_line_bytes
// is cut there and flagged, and the rest of it is skipped up to its newline,
// so a 100 MB line costs at most max_line_bytes of memory.
import { isAscii, isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

export interface LineRecord {
  /** Byte offset of the line's first byte. */
  start: number;
  /** Byte offset after the line and its newline: where reading resumes (for a cut line: after the cut). */
  end: number;
  /** The line without its newline (and without a trailing CR), cut at the cap. */
  text: string;
  /** UTF-8 bytes in text's source (after any cut). */
  bytes: number;
  truncated: boolean;
  /** Bytes that are not UTF-8 were replaced with U+FFFD. */
  invalidUtf8: boolean;
  /** Then the line's exact bytes, for event.original. */
  raw?: Buffer;
  /** After this line the reader skips the rest of a cut line: a resume at `end` must skip too. */
  skipping: boolean;
}

const NEWLINE = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  readonly maxLineBytes: number;
  /** Offset of the next byte the splitter expects (everything before it was pushed). */
  position: number;
  skipping: boolean;
  #carry: Buffer | undefined;
  #carryStart = 0;

  constructor(maxLineBytes: number, position = 0, skipping = false) {
    this.maxLineBytes = maxLineBytes;
    this.position = position;
    this.skipping = skipping;
  }

  /** Bytes of a partial line held back. */
  get held(): number {
    return this.#carry?.length ?? 0;
  }

  /** Splits the next bytes of the file; the chunk may be reused by the caller afterwards. */
  push(chunk: Buffer, out: LineRecord[]): void {
    let data = chunk;
    let base = this.position;
    if (this.#carry) {
      data = Buffer.concat([this.#carry, chunk]);
      base = this.#carryStart;
      this.#carry = undefined;
    }
    this.position += chunk.length;
    let from = 0;
    if (this.skipping) {
      const newline = data.indexOf(NEWLINE);
      if (newline < 0) return;
      from = newline + 1;
      this.skipping = false;
    }
    const lastNewline = data.lastIndexOf(NEWLINE);
    // ASCII is the common case and needs no per-line UTF-8 check.
    const ascii = lastNewline >= from && isAscii(data.subarray(from, lastNewline));
    while (from < data.length) {
      const newline = data.indexOf(NEWLINE, from);
      if (newline < 0) break;
      let stop = newline;
      if (stop > from && data[stop - 1] === CR) stop--;
      out.push(this.#record(data, from, stop, base + from, base + newline + 1, ascii));
      from = newline + 1;
    }
    const rest = data.length - from;
    // Over the cap even if its last byte is the CR of a coming CRLF: cut now.
    if (rest > this.maxLineBytes + (data[data.length - 1] === CR ? 1 : 0)) {
      // No newline within the cap: emit the head now and skip the tail.
      out.push(this.#record(data, from, data.length, base + from, base + data.length, false));
      this.skipping = true;
    } else if (rest > 0) {
      // Copied: the caller reuses its read buffer.
      this.#carry = Buffer.from(data.subarray(from));
      this.#carryStart = base + from;
    }
  }

  /** The file is finished (rotated away, or a .gz at its end): its last line needs no newline. */
  finish(out: LineRecord[]): void {
    const carry = this.#carry;
    this.#carry = undefined;
    this.skipping = false;
    if (carry && carry.length > 0) {
      let stop = carry.length;
      if (carry[stop - 1] === CR) stop--;
      out.push(this.#record(carry, 0, stop, this.#carryStart, this.#carryStart + carry.length, false));
    }
  }

  #record(data: Buffer, from: number, to: number, start: number, end: number, ascii: boolean): LineRecord {
    let stop = to;
    let truncated = false;
    if (stop - from > this.maxLineBytes) {
      stop = from + this.maxLineBytes;
      // Never cut inside a UTF-8 sequence.
      while (stop > from && ((data[stop] ?? 0) & 0xc0) === 0x80) stop--;
      truncated = true;
    }
    const invalidUtf8 = !ascii && !isUtf8(data.subarray(from, stop));
    const text = data.toString(ascii ? 'latin1' : 'utf8', from, stop);
    const bytes = stop - from;
    // A cut line ends where the cut falls, however the bytes were chunked:
    // a resume there skips to the newline.
    const record: LineRecord = truncated
      ? { start, end: start + bytes, text, bytes, truncated, invalidUtf8, skipping: true }
      : { start, end, text, bytes, truncated, invalidUtf8, skipping: false };
    // Bytes that are not UTF-8 are kept as they were (event.original), not only as U+FFFD.
    if (invalidUtf8) record.raw = Buffer.from(data.subarray(from, stop));
    return record;
  }
}

/** Where a file's bytes come from: a plain file by offset, or a .gz decompressed from its start. */
export interface ChunkReader {
  /** The next bytes from `position` on, or null when there are none right now. */
  read(position: number): Promise<Buffer | null>;
  close(): Promise<void>;
}

export class PlainReader implements ChunkReader {
  readonly handle: FileHandle;
  readonly #buffer: Buffer;

  constructor(handle: FileHandle, chunkBytes: number) {
    this.handle = handle;
    this.#buffer = Buffer.allocUnsafe(chunkBytes);
  }

  async read(position: number): Promise<Buffer | null> {
    const { bytesRead } = await this.handle.read(this.#buffer, 0, this.#buffer.length, position);
    return bytesRead === 0 ? null : this.#buffer.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

/**
 * A rotated .gz, read once from its start (a gzip stream cannot seek): the
 * bytes before the wanted offset are decompressed and discarded.
 */
export class GzipReader implements ChunkReader {
  readonly path: string;
  #iterator: AsyncIterator<Buffer> | undefined;
  #decompressed = 0;
  #input: ReturnType<typeof createReadStream> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  async read(position: number): Promise<Buffer | null> {
    if (!this.#iterator) {
      this.#input = createReadStream(this.path, { highWaterMark: 256 * 1024 });
      this.#iterator = this.#input.pipe(createGunzip())[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    }
    for (;;) {
      const next = await this.#iterator.next();
      if (next.done) return null;
      const chunk = next.value;
      const chunkStart = this.#decompressed;
      this.#decompressed += chunk.length;
      if (this.#decompressed <= position) continue;
      return chunkStart >= position ? chunk : chunk.subarray(position - chunkStart);
    }
  }

  async close(): Promise<void> {
    this.#input?.destroy();
    await this.#iterator?.return?.();
  }
}
