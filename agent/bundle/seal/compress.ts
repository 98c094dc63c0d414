// The compression stage of the archive pipeline: gzip, or zstd kept to one
// frame with a content checksum so that a reader notices any cut.
import { Transform, type TransformCallback } from 'node:stream';
import { createGzip, createZstdCompress, type ZstdCompress, constants as zlibConstants } from 'node:zlib';

export type Compression = 'gzip' | 'zstd';

export function compressor(compression: Compression, level?: number): Transform {
  if (compression === 'gzip') return createGzip({ level: level ?? 6 });
  return new ZstdOneFrame(
    createZstdCompress({
      params: {
        [zlibConstants.ZSTD_c_compressionLevel]: level ?? 3,
        // The frame checksum lets a reader tell a damaged stream from a complete one.
        [zlibConstants.ZSTD_c_checksumFlag]: 1,
      },
    }),
  );
}

/**
 * Node's zstd stream ends the frame on the chunk that is pending when end() is
 * called and then writes a second, empty frame; a cut inside that trailing
 * frame passes Node's decompressor unnoticed. Feeding the compressor one chunk
 * at a time and ending it only when it is idle gives exactly one frame.
 */
class ZstdOneFrame extends Transform {
  #zstd: ZstdCompress;

  constructor(zstd: ZstdCompress) {
    super();
    this.#zstd = zstd;
    zstd.on('data', (chunk: Buffer) => this.push(chunk));
    zstd.on('error', (error) => this.destroy(error));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    this.#zstd.write(chunk, (error) => callback(error ?? null));
  }

  override _flush(callback: TransformCallback): void {
    this.#zstd.once('end', () => callback());
    this.#zstd.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#zstd.destroy();
    callback(error);
  }
}
