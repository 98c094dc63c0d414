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

export function compressor(compression: Compression, options: CompressorOptions = {}): Transform {
  const parallel = options.parallel ?? availableParallelism() + 1;
  if (compression === 'gzip') {
    const level = options.level ?? 6;
    return new BlockCompressor(
      (block) => gzipBlock(block, { level, chunkSize: outputChunk(block) }),
      options.blockBytes ?? 4 << 20,
      parallel,
    );
  }
  const params = {
    [zlibConstants.ZSTD_c_compressionLevel]: options.level ?? defaultZstdLevel,
    // The frame checksum lets a reader tell a damaged frame from a complete one.
    [zlibConstants.ZSTD_c_checksumFlag]: 1,
  };
  return new BlockCompressor(
    (block) => zstdBlock(block, { params, chunkSize: outputChunk(block) }),
    options.blockBytes ?? 8 << 20,
    parallel,
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

/** Compresses blocks on the thread pool, at most `parallel` at once, and pushes them in input order. */
class BlockCompressor extends Transform {
  readonly #compress: (block: Buffer) => Promise<Buffer>;
  readonly #blockBytes: number;
  readonly #parallel: number;
  #parts: Buffer[] = [];
  #length = 0;
  #pending: Pending[] = [];
  #blocks = 0;

  constructor(compress: (block: Buffer) => Promise<Buffer>, blockBytes: number, parallel: number) {
    super();
    this.#compress = compress;
    this.#blockBytes = blockBytes;
    this.#parallel = Math.max(1, parallel);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#parts.push(chunk);
    this.#length += chunk.length;
    this.#fill(false).then(() => callback(), callback);
  }

  override _flush(callback: TransformCallback): void {
    this.#fill(true).then(() => callback(), callback);
  }

  /** Starts every full block (and the rest, at the end), pushing finished blocks in order as it goes. */
  async #fill(end: boolean): Promise<void> {
    while (this.#length >= this.#blockBytes || (end && (this.#length > 0 || this.#blocks === 0))) {
      this.#start(this.#take(Math.min(this.#length, this.#blockBytes)));
      while (this.#pending.length >= this.#parallel) await this.#pushOldest();
    }
    while (this.#pending[0]?.done) await this.#pushOldest();
    if (end) while (this.#pending.length > 0) await this.#pushOldest();
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
    // Awaited in order by #pushOldest; marked here so a failure is never unhandled.
    pending.result.then(settle, settle);
    this.#pending.push(pending);
  }

  async #pushOldest(): Promise<void> {
    const oldest = this.#pending.shift();
    if (oldest) this.push(await oldest.result);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#parts = [];
    this.#pending = [];
    callback(error);
  }
}
