// Writes a bundle archive in one streaming pipeline:
//   tar (archiver) -> gzip | zstd (blocks on the thread pool) -> [age] -> temporary file
// Entries are appended one at a time, each read as a stream, so memory stays
// flat whatever the bundle's size. The file gets a temporary name in the
// output's directory and is renamed into place only on release(), so a
// bundle that fails its rescan never appears at the output path.
import { randomBytes } from 'node:crypto';
import type { Stats, WriteStream } from 'node:fs';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarArchive } from 'archiver';
import { CodedError, isCodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { type Digest, digestOf, HashingStream, isPlainBundlePath } from './checksums.ts';
import { type Compression, compressor } from './compress.ts';
import { ageEncryptStream } from './encrypt.ts';

export type { Compression };

export type ArchiveSource =
  | { readonly bytes: Buffer }
  | { readonly file: string; readonly size: number }
  | { readonly stream: Readable; readonly size: number };

export interface ArchiveEntry {
  /** Path inside the bundle, relative, `/`-separated. */
  readonly path: string;
  readonly source: ArchiveSource;
  /** When given, the bytes written must hash to this (a staged file must not change after it was hashed). */
  readonly sha256?: string;
}

export interface ArchiveOptions {
  readonly compression?: Compression;
  /** age recipient (`age1...`); the archive is encrypted to it when set. */
  readonly recipient?: string;
  /** Modification time of every entry; default now. */
  readonly mtime?: Date;
  /** Compression level; default gzip 6, zstd 5 (compress.ts). */
  readonly level?: number;
}

export interface WrittenEntry extends Digest {
  readonly path: string;
}

export interface PendingArchive {
  /** Where release() puts the bundle; undefined when written to a stream. */
  readonly path: string | undefined;
  /** The temporary file holding it until release(). */
  readonly tempPath: string | undefined;
  /** Size and SHA-256 of the output file itself (compressed, encrypted). */
  readonly output: Digest;
  readonly entries: readonly WrittenEntry[];
  /** Renames the finished file into place; returns its path. */
  release(): Promise<string | undefined>;
  /** Deletes the temporary file; safe to call twice or after release(). */
  abort(): Promise<void>;
}

/** Writes `entries` in order to `output` (a file path, or a stream such as stdout). */
export async function writeArchive(
  entries: Iterable<ArchiveEntry> | AsyncIterable<ArchiveEntry>,
  output: string | Writable,
  options: ArchiveOptions = {},
): Promise<PendingArchive> {
  const label = typeof output === 'string' ? output : 'to the output stream';
  const fail = (error: unknown) =>
    isCodedError(error)
      ? error
      : new CodedError(
          agentErrors.BUNDLE_WRITE,
          { path: label, detail: (error as NodeJS.ErrnoException).code ?? (error as Error).message },
          { cause: error },
        );
  const target =
    typeof output === 'string' ? await openTemp(output).catch((error) => Promise.reject(fail(error))) : undefined;
  try {
    const stages: Transform[] = [compressor(options.compression ?? 'gzip', { level: options.level })];
    if (options.recipient) stages.push((await ageEncryptStream(options.recipient)) as unknown as Transform);
    const counter = new HashingStream();
    const archive = new TarArchive();
    const sink = target ? target.stream : (output as Writable);
    const written = pipeline([archive, ...stages, counter, sink], { end: target !== undefined });
    // Keeps a failure visible to the entry loop without an unhandled rejection.
    let failure: unknown;
    written.catch((error) => {
      failure ??= error;
    });
    const entryList: WrittenEntry[] = [];
    for await (const entry of entries) {
      if (failure) break;
      entryList.push(await appendEntry(archive, entry, options.mtime ?? new Date(), written));
    }
    if (failure) throw failure;
    await archive.finalize();
    await written;
    // flush: true fsyncs before close; wait for the close so the file is complete before anyone renames it.
    if (target && !target.stream.closed)
      await new Promise((resolve) => target.stream.once('close', () => resolve(undefined)));
    return pending(output, target?.temp, counter.digest(), entryList);
  } catch (error) {
    if (target) {
      target.stream.destroy();
      await unlink(target.temp).catch(() => {});
    }
    throw fail(error);
  }
}

async function appendEntry(
  archive: TarArchive,
  entry: ArchiveEntry,
  mtime: Date,
  written: Promise<void>,
): Promise<WrittenEntry> {
  if (!isPlainBundlePath(entry.path)) throw new Error(`"${entry.path}" is not a plain relative bundle path`);
  const data = { name: entry.path, date: mtime, mode: 0o644 };
  const processed = new Promise<void>((resolve) => archive.once('entry', () => resolve()));
  let digest: Digest | (() => Digest);
  const { source } = entry;
  if ('bytes' in source) {
    archive.append(source.bytes, data);
    digest = digestOf(source.bytes);
  } else {
    // Reads of a megabyte: the tar, hash and compression stages handle each chunk once, whatever its size.
    const input = 'file' in source ? createReadStream(source.file, { highWaterMark: 1024 * 1024 }) : source.stream;
    const hashing = new HashingStream();
    input.once('error', (error: Error) => hashing.destroy(error));
    hashing.once('error', (error: Error) => archive.emit('error', error));
    input.pipe(hashing);
    // archiver streams an entry without buffering it only when it knows the size.
    archive.append(hashing, { ...data, stats: { size: source.size } as Stats });
    digest = () => hashing.digest();
  }
  await Promise.race([processed, written.then(() => Promise.reject(new Error('the archive ended early')))]);
  const result = typeof digest === 'function' ? digest() : digest;
  if ('size' in source && result.size !== source.size) {
    throw new Error(`${entry.path} has ${result.size} bytes, not the ${source.size} announced`);
  }
  if (entry.sha256 !== undefined && result.sha256 !== entry.sha256) {
    throw new Error(`${entry.path} changed after it was hashed`);
  }
  return { path: entry.path, ...result };
}

async function openTemp(path: string): Promise<{ temp: string; stream: WriteStream }> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  // 0600: the bundle is readable by whoever built it until they decide to hand it over.
  const stream = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true });
  await new Promise((resolve, reject) => {
    stream.once('open', resolve);
    stream.once('error', reject);
  });
  return { temp, stream };
}

function pending(
  output: string | Writable,
  temp: string | undefined,
  digest: Digest,
  entries: WrittenEntry[],
): PendingArchive {
  let state: 'pending' | 'released' | 'aborted' = 'pending';
  const finalPath = typeof output === 'string' ? output : undefined;
  return {
    path: finalPath,
    tempPath: temp,
    output: digest,
    entries,
    async release() {
      if (state === 'aborted') throw new Error('release() after abort()');
      if (state === 'pending' && temp && finalPath) {
        try {
          await rename(temp, finalPath);
          await syncDirectory(dirname(finalPath));
        } catch (error) {
          throw new CodedError(
            agentErrors.BUNDLE_WRITE,
            { path: finalPath, detail: (error as NodeJS.ErrnoException).code ?? String(error) },
            { cause: error },
          );
        }
      }
      state = 'released';
      return finalPath;
    },
    async abort() {
      if (state !== 'pending') return;
      state = 'aborted';
      if (temp) await unlink(temp).catch(() => {});
    },
  };
}

/** Makes the rename durable: without it a power cut can lose the directory entry. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
