// Content files are staged on disk before the archive is written: the
// manifest at the front of the archive needs every later file's size and
// SHA-256, and collectors (docker logs, syslog) cannot be replayed to give
// the same bytes twice. Staging also gives the rescan real files to read
// before anything is sealed. The cost is disk space for the uncompressed
// content under <dataDir>/tmp, removed by discard().
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Digest, Hasher, HashingStream, isPlainBundlePath } from '../../../bundle/checksums.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import type { PackedBody } from './archive.ts';

/** Optional manifest details of one file (schemas/bundle-manifest.ts BundleFile). */
export interface FileMeta {
  readonly collector?: string;
  readonly redactions?: number;
}

export interface StagedFile extends Digest, FileMeta {
  /** Path inside the bundle. */
  readonly path: string;
  /** Where the staged copy is on disk (for the rescan). */
  readonly localPath: string;
  /** Its body already compressed by the worker that staged it (archive.ts uses it when the format matches). */
  readonly packed?: PackedBody;
}

export type StageSource = Buffer | string | Readable | AsyncIterable<Uint8Array>;

/** Names the sealer writes itself; content may not take them. */
export const reservedPaths = new Set(['manifest.json', 'manifest.json.sig', 'SHA256SUMS', 'signing-key.pub']);

export class BundleStaging {
  readonly dir: string;
  #files = new Map<string, StagedFile>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** A fresh staging directory under `<dataDir>/tmp`, private to this user. */
  static create(dataDir: string): BundleStaging {
    const dir = join(dataDir, 'tmp', `bundle-${Date.now()}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw writeError(dir, error);
    }
    return new BundleStaging(dir);
  }

  /** Writes one content file, hashing the exact bytes stored. Replaces an earlier file of the same path. */
  async add(path: string, source: StageSource, meta: FileMeta = {}): Promise<StagedFile> {
    checkPath(path);
    const localPath = join(this.dir, 'files', ...path.split('/'));
    const hashing = new HashingStream();
    try {
      mkdirSync(dirname(localPath), { recursive: true, mode: 0o700 });
      const input =
        typeof source === 'string' || Buffer.isBuffer(source) ? Readable.from([Buffer.from(source)]) : source;
      await pipeline(input, hashing, createWriteStream(localPath, { mode: 0o600 }));
    } catch (error) {
      throw writeError(localPath, error);
    }
    return this.#register({ path, localPath, ...hashing.digest(), ...meta });
  }

  /**
   * Stages a file that is already on disk where it is (hashed, not copied):
   * the caller keeps it unchanged until the bundle is sealed; the archive
   * writer checks the hash again as it reads it. `digest`: the file's size
   * and hash when its writer made them as it wrote it (not read again here);
   * `packed`: the body as that writer compressed it (only with `digest`).
   */
  async adopt(
    path: string,
    localPath: string,
    meta: FileMeta = {},
    digest?: Digest,
    packed?: PackedBody,
  ): Promise<StagedFile> {
    checkPath(path);
    if (digest)
      return this.#register({
        path,
        localPath,
        size: digest.size,
        sha256: digest.sha256,
        ...meta,
        ...(packed && { packed }),
      });
    const hasher = new Hasher();
    try {
      for await (const chunk of createReadStream(localPath)) hasher.update(chunk as Buffer);
    } catch (error) {
      throw writeError(localPath, error);
    }
    return this.#register({ path, localPath, ...hasher.digest(), ...meta });
  }

  #register(file: StagedFile): StagedFile {
    this.#files.set(file.path, file);
    return file;
  }

  /** Adds or changes manifest details (e.g. redaction counts known only after the write). */
  annotate(path: string, meta: FileMeta): void {
    const file = this.#files.get(path);
    if (!file) throw new Error(`${path} is not staged`);
    this.#files.set(path, { ...file, ...meta });
  }

  /** Staged files in the order they were first added. */
  files(): StagedFile[] {
    return [...this.#files.values()];
  }

  /** Removes the staging directory; call it whether or not the bundle was sealed. */
  async discard(): Promise<void> {
    this.#files.clear();
    await rm(this.dir, { recursive: true, force: true });
  }
}

function checkPath(path: string): void {
  if (!isPlainBundlePath(path) || reservedPaths.has(path)) {
    throw new CodedError(agentErrors.BUNDLE_WRITE, { path, detail: 'not a usable path inside a bundle' });
  }
}

function writeError(path: string, error: unknown): CodedError {
  return new CodedError(
    agentErrors.BUNDLE_WRITE,
    { path, detail: (error as NodeJS.ErrnoException).code ?? (error as Error).message },
    { cause: error },
  );
}
