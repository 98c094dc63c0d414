// Uploaded bundle files, stored by their SHA-256 under blobs/sha256/ab/abcd...
// A body streams to a temporary file in incoming/ and is hashed as it
// streams; nothing holds it in memory. Only a complete body of at most
// `maxBytes` is adopted: it is renamed into place (the same bytes uploaded
// again find their blob already there, and the copy is dropped). A blob is
// read-only once stored. A file that already lies in incoming/ (a finished
// tus upload) is adopted the same way, hashed once and linked into place.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { chmod, link, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredBlob {
  readonly sha256: string;
  readonly size: number;
  readonly path: string;
}

/** Thrown when a body is larger than allowed; the partial file is already gone. */
export class BodyTooLarge extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`the body is larger than ${limit} bytes`);
    this.limit = limit;
  }
}

export class BlobStore {
  readonly #root: string;
  readonly #incoming: string;

  constructor(root: string, incoming: string) {
    this.#root = root;
    this.#incoming = incoming;
    mkdirSync(root, { recursive: true, mode: 0o700 });
    mkdirSync(incoming, { recursive: true, mode: 0o700 });
  }

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return join(this.#root, 'sha256', sha256.slice(0, 2), sha256);
  }

  /** Streams `body` into the store; throws BodyTooLarge past `maxBytes` (the caller answers 413). */
  async receive(body: AsyncIterable<Buffer> | NodeJS.ReadableStream, maxBytes: number): Promise<StoredBlob> {
    const temp = join(this.#incoming, `${Date.now()}-${randomBytes(8).toString('hex')}.part`);
    const meter = new Meter(maxBytes);
    try {
      await pipeline(body as NodeJS.ReadableStream, meter, createWriteStream(temp, { mode: 0o600, flags: 'wx' }));
    } catch (error) {
      await rm(temp, { force: true });
      throw meter.tooLarge ? new BodyTooLarge(maxBytes) : error;
    }
    return this.#adopt(temp, meter.sha256(), meter.size);
  }

  /**
   * Takes a finished file that was written under incoming/ (a tus upload)
   * into the store: hashed as it is read once, then linked into place. The
   * file is consumed: afterwards it is gone from where it was, whether it
   * became a blob or the adoption failed.
   */
  async adoptFile(path: string): Promise<StoredBlob> {
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return this.#adopt(path, hash.digest('hex'), size);
  }

  /** Stores a copy of a local file (the `ingest` command), hashed as it is copied. */
  receiveFile(path: string, maxBytes: number): Promise<StoredBlob> {
    return this.receive(createReadStream(path, { highWaterMark: 1024 * 1024 }), maxBytes);
  }

  async has(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  /** Deletes a blob no bundle refers to any more. */
  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  async #place(temp: string, target: string): Promise<void> {
    mkdirSync(join(target, '..'), { recursive: true, mode: 0o700 });
    try {
      // link() fails when the blob exists: the bytes are the same, so the new copy goes.
      await link(temp, target);
      await chmod(target, 0o400);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        if ((error as NodeJS.ErrnoException).code === 'EPERM' || (error as NodeJS.ErrnoException).code === 'ENOTSUP') {
          await rename(temp, target);
          return;
        }
        throw error;
      }
    }
    await unlink(temp).catch(() => {});
  }

  async #adopt(temp: string, sha256: string, size: number): Promise<StoredBlob> {
    const target = this.pathOf(sha256);
    try {
      await this.#place(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { sha256, size, path: target };
  }
}

/** Counts and hashes what passes, and fails once more than `limit` bytes went by. */
class Meter extends Transform {
  readonly #hash = createHash('sha256');
  readonly #limit: number;
  size = 0;
  tooLarge = false;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.#limit) {
      this.tooLarge = true;
      callback(new BodyTooLarge(this.#limit));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  sha256(): string {
    return this.#hash.digest('hex');
  }
}
