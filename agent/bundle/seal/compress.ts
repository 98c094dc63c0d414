// The compression stage of the archive pipeline: the stream is cut into
// blocks of a few megabytes, each compressed on libuv's thread pool (so on
// every core, beside the tar and hashing on this thread) and written back in
// order, as gzip members or zstd frames one after the other. Concatenated
// members are one gzip stream (RFC 1952 §2.2: gzip, tar -z and Node read them
// all); concatenated frames are one zstd stream. Each block is a complete unit
// with its own check (gzip CRC-32 and length, zstd content checksum), so a cut
// inside any of them is an error for gzip -t, zstd -t and Node alike; a cut
// exactly between two of them loses the tar's end-of-archive blocks, which are
// in the last block, and `shiplog verify` and tar report that.
//
// A block starts with an empty dictionary, which costs well under 1% of size
// at these block sizes.
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { promisify } from 'node:util';
import { gzip, constants as zlibConstants, zstdCompress } from 'node:zlib';

export type Compression = 'gzip' | 'zstd';

/**
 * zstd level 5 is the lowest whose output is no larger than gzip -6 on logs
 * (levels 3 and 4 are ~6% larger on the benchmark corpus) and still compresses
 * about twice as fast.
 */
export const defaultZstdLevel = 5;

const gzipBlock = promisify(gzip);
const zstdBlock = promisify(zstdCompress);

export interface CompressorOptions {
  level?: number;
  /** Bytes per member or frame; default 4 MiB for gzip, 8 MiB for zstd (its window is bigger). */
  blockBytes?: number;
  /** Blocks being compressed at once; default one more than the cores. */
  parallel?: number;
}

/** Level and block size of each kind, shared by the archive and the staging workers that compress ahead. */
export interface BlockFormat {
  readonly compression: Compression;
  readonly level: number;
  readonly blockBytes: number;
}

export function blockFormat(
  compression: Compression,
  options: { level?: number; blockBytes?: number } = {},
): BlockFormat {
  return compression === 'gzip'
    ? { compression, level: options.level ?? 6, blockBytes: options.blockBytes ?? 4 << 20 }
    : { compression, level: options.level ?? defaultZstdLevel, blockBytes: options.blockBytes ?? 8 << 20 };
}

/** Compresses one block into one complete gzip member or zstd frame, on the thread pool. */
export function blockCompressor(format: BlockFormat): (block: Buffer) => Promise<Buffer> {
  if (format.compression === 'gzip') {
    const { level } = format;
    return (block) => gzipBlock(block, { level, chunkSize: outputChunk(block) });
  }
  const params = {
    [zlibConstants.ZSTD_c_compressionLevel]: format.level,
    // The frame checksum lets a reader tell a damaged frame from a complete one.
    [zlibConstants.ZSTD_c_checksumFlag]: 1,
  };
  return (block) => zstdBlock(block, { params, chunkSize: outputChunk(block) });
}

/**
 * Bytes already compressed in this stream's format and block layout (a
 * staging worker's members or frames): written between blocks as they are.
 */
export interface Precompressed {
  readonly precompressed: Buffer;
}

/**
 * The compressing stage: takes Buffers (and Precompressed chunks, which
 * first end the block being filled) and gives the compressed stream.
 */
export function compressor(compression: Compression, options: CompressorOptions = {}): Transform {
  const format = blockFormat(compression, options);
  return new BlockCompressor(
    blockCompressor(format),
    format.blockBytes,
    options.parallel ?? availableParallelism() + 1,
  );
}

/**
 * Output buffer for one block: zlib hands each filled buffer to this thread,
 * so its 16 KiB default would mean hundreds of callbacks and allocations per
 * block; a quarter of the block holds most compressed logs in one go.
 */
function outputChunk(block: Buffer): number {
  return Math.max(64 * 1024, block.length >> 2);
}

interface Pending {
  result: Promise<Buffer>;
  done: boolean;
}

/**
 * Cuts what is written into blocks, compresses up to `parallel` at once on
 * the thread pool and hands them to `emit` in input order. Used by the
 * archive's stage below and by staging workers that compress as they write.
 */
export class BlockQueue {
  readonly #compress: (block: Buffer) => Promise<Buffer>;
  readonly #blockBytes: number;
  readonly #parallel: number;
  readonly #emit: (compressed: Buffer) => void;
  #parts: Buffer[] = [];
  #length = 0;
  #pending: Pending[] = [];
  #blocks = 0;

  constructor(
    compress: (block: Buffer) => Promise<Buffer>,
    blockBytes: number,
    parallel: number,
    emit: (compressed: Buffer) => void,
  ) {
    this.#compress = compress;
    this.#blockBytes = blockBytes;
    this.#parallel = Math.max(1, parallel);
    this.#emit = emit;
  }

  /** Blocks started so far. */
  get blocks(): number {
    return this.#blocks;
  }

  /** Adds bytes; resolves once no more than `parallel` blocks are in flight. */
  async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.#parts.push(chunk);
    this.#length += chunk.length;
    await this.#fill(false);
  }

  /**
   * Compresses what is left as a last, shorter block and emits everything.
   * `emptyBlock`: a stream that got no bytes at all still gets one (empty) block.
   */
  async flush(emptyBlock = false): Promise<void> {
    if (emptyBlock && this.#blocks === 0 && this.#length === 0) this.#start(Buffer.alloc(0));
    await this.#fill(true);
  }

  /** Starts every full block (and the rest, at the end), emitting finished blocks in order as it goes. */
  async #fill(end: boolean): Promise<void> {
    while (this.#length >= this.#blockBytes || (end && this.#length > 0)) {
      this.#start(this.#take(Math.min(this.#length, this.#blockBytes)));
      while (this.#pending.length >= this.#parallel) await this.#emitOldest();
    }
    while (this.#pending[0]?.done) await this.#emitOldest();
    if (end) while (this.#pending.length > 0) await this.#emitOldest();
  }

  #take(size: number): Buffer {
    const all = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#length);
    const rest = all.subarray(size);
    this.#parts = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
    return all.subarray(0, size);
  }

  #start(block: Buffer): void {
    this.#blocks++;
    const pending: Pending = { result: this.#compress(block), done: false };
    const settle = () => {
      pending.done = true;
    };
    // Awaited in order by #emitOldest; marked here so a failure is never unhandled.
    pending.result.then(settle, settle);
    this.#pending.push(pending);
  }

  async #emitOldest(): Promise<void> {
    const oldest = this.#pending.shift();
    if (oldest) this.#emit(await oldest.result);
  }

  /** Drops what is buffered (after a failure). */
  clear(): void {
    this.#parts = [];
    this.#pending = [];
  }
}

/** The archive's compression stage: a Transform over a BlockQueue. */
class BlockCompressor extends Transform {
  readonly #queue: BlockQueue;

  constructor(compress: (block: Buffer) => Promise<Buffer>, blockBytes: number, parallel: number) {
    // Object mode on the writable side: Precompressed chunks pass between blocks.
    super({ writableObjectMode: true });
    this.#queue = new BlockQueue(compress, blockBytes, parallel, (compressed) => this.push(compressed));
  }

  override _transform(chunk: Buffer | Precompressed, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (Buffer.isBuffer(chunk)) {
      this.#queue.write(chunk).then(() => callback(), callback);
      return;
    }
    // Whatever came before ends as its own block, so the precompressed bytes follow it in order.
    this.#queue.flush().then(() => callback(null, chunk.precompressed), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#queue.flush(true).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#queue.clear();
    callback(error);
  }
}
