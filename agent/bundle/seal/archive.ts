// Writes a bundle archive in one streaming pipeline:
//   tar (tar.ts) -> gzip | zstd (blocks on the thread pool) -> [age] -> temporary file
// Entries are appended one at a time, each read as a stream, so memory stays
// flat whatever the bundle's size. A file whose body a staging worker already
// compressed in this archive's format (`packed`) goes in as those bytes: the
// tar header before it ends a block, and its members or frames follow. The file gets a temporary name in the
// output's directory and is put in place only on release() (output.ts: never
// over an existing path unless `replace`, never over anything but a regular
// file), so a bundle that fails its rescan never appears at the output path,
// and a failed write or release leaves no temporary file behind.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, type Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Digest, digestOf, Hasher, HashingStream, isPlainBundlePath } from '../../../bundle/checksums.ts';
import { tarEnd, tarHeader, tarPadding } from '../../../bundle/tar-writer.ts';
import { CodedError, isCodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { blockFormat, type Compression, compressor, type Precompressed } from './compress.ts';
import { ageEncryptStream } from './encrypt.ts';
import { createOutputFile, type OutputFile } from './output.ts';

export type { Compression };

export type ArchiveSource =
  | { readonly bytes: Buffer }
  | { readonly file: string; readonly size: number; readonly packed?: PackedBody }
  | { readonly stream: Readable; readonly size: number };

/**
 * The body of a staged file compressed ahead by its staging worker, in blocks
 * of `format` (compress.ts), with the size and SHA-256 of the compressed bytes.
 * Used when the archive is written in that same format; the entry's own
 * `sha256` must then be given (the worker's hash of the plain bytes).
 */
export interface PackedBody extends Digest {
  readonly file: string;
  readonly compression: Compression;
  readonly level: number;
  readonly blockBytes: number;
}

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
  /** For a path: replace an existing regular file there on release (never anything else). Default false. */
  readonly replace?: boolean;
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
  /** Puts the finished file in place (output.ts); returns its path. A failed release leaves no temporary file. */
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
  const target = typeof output === 'string' ? await createOutputFile(output, { replace: options.replace }) : undefined;
  try {
    const compression = options.compression ?? 'gzip';
    const format = blockFormat(compression, { level: options.level });
    const stages: Transform[] = [compressor(compression, { level: options.level })];
    if (options.recipient) stages.push((await ageEncryptStream(options.recipient)) as unknown as Transform);
    const counter = new HashingStream();
    const entryList: WrittenEntry[] = [];
    const mtime = options.mtime ?? new Date();
    const usable = (packed: PackedBody | undefined) =>
      packed !== undefined &&
      packed.compression === format.compression &&
      packed.level === format.level &&
      packed.blockBytes === format.blockBytes;
    async function* tar(): AsyncGenerator<Buffer | Precompressed> {
      for await (const entry of entries) {
        const { source } = entry;
        const packed = 'file' in source && usable(source.packed) ? source.packed : undefined;
        const body = packed ? packedBody(entry, packed, mtime) : plainBody(entry, mtime);
        const written = yield* body;
        entryList.push(checkWritten(entry, written));
        yield tarPadding(written.size);
      }
      yield tarEnd;
    }
    const sink = target ? target.stream : (output as Writable);
    // Object mode: the tar stage hands over Precompressed chunks as well as bytes.
    await pipeline([Readable.from(tar(), { objectMode: true }), ...stages, counter, sink], {
      end: target !== undefined,
    });
    // flush: true fsyncs before close; wait for the close so the file is complete before anyone renames it.
    if (target && !target.stream.closed)
      await new Promise((resolve) => target.stream.once('close', () => resolve(undefined)));
    return pending(target, counter.digest(), entryList);
  } catch (error) {
    await target?.abort();
    throw fail(error);
  }
}

/** The header and plain body of one entry, read in big chunks; returns what the body held. */
async function* plainBody(entry: ArchiveEntry, mtime: Date): AsyncGenerator<Buffer, Digest> {
  checkEntryPath(entry.path);
  const { source } = entry;
  if ('bytes' in source) {
    yield tarHeader(entry.path, source.bytes.length, mtime);
    yield source.bytes;
    return digestOf(source.bytes);
  }
  yield tarHeader(entry.path, source.size, mtime);
  // Reads of a megabyte: the hash and compression stages handle each chunk once, whatever its size.
  const input = 'file' in source ? createReadStream(source.file, { highWaterMark: 1024 * 1024 }) : source.stream;
  const hasher = new Hasher();
  let size = 0;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    size += chunk.length;
    // A file that grew must not overrun its header; the size check below names it.
    if (size > source.size) throw new Error(`${entry.path} has more than the ${source.size} bytes announced`);
    hasher.update(chunk);
    yield chunk;
  }
  return hasher.digest();
}

/** The header, then the worker's compressed body as it is, checked against the worker's hashes. */
async function* packedBody(
  entry: ArchiveEntry,
  packed: PackedBody,
  mtime: Date,
): AsyncGenerator<Buffer | Precompressed, Digest> {
  checkEntryPath(entry.path);
  const { source } = entry;
  if (!('file' in source) || entry.sha256 === undefined)
    throw new Error(`${entry.path}: a packed body needs its file's hash`);
  // The plain file is not read, so its size on disk stands for it: a cut after packing shows here.
  const plainSize = (await stat(source.file)).size;
  if (plainSize !== source.size)
    throw new Error(`${entry.path} has ${plainSize} bytes, not the ${source.size} announced`);
  yield tarHeader(entry.path, source.size, mtime);
  const hasher = new Hasher();
  for await (const chunk of createReadStream(packed.file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hasher.update(chunk);
    yield { precompressed: chunk };
  }
  const read = hasher.digest();
  if (read.size !== packed.size || read.sha256 !== packed.sha256) {
    throw new Error(`${entry.path} changed after it was hashed (its compressed copy differs)`);
  }
  return { size: source.size, sha256: entry.sha256 };
}

function checkEntryPath(path: string): void {
  if (!isPlainBundlePath(path)) throw new Error(`"${path}" is not a plain relative bundle path`);
}

/** The size and hash an entry was announced with are the ones written. */
function checkWritten(entry: ArchiveEntry, result: Digest): WrittenEntry {
  const { source } = entry;
  if ('size' in source && result.size !== source.size) {
    throw new Error(`${entry.path} has ${result.size} bytes, not the ${source.size} announced`);
  }
  if (entry.sha256 !== undefined && result.sha256 !== entry.sha256) {
    throw new Error(`${entry.path} changed after it was hashed`);
  }
  return { path: entry.path, ...result };
}

function pending(target: OutputFile | undefined, digest: Digest, entries: WrittenEntry[]): PendingArchive {
  let state: 'pending' | 'released' | 'aborted' = 'pending';
  return {
    path: target?.path,
    tempPath: target?.tempPath,
    output: digest,
    entries,
    async release() {
      if (state === 'aborted') throw new Error('release() after abort()');
      if (state === 'pending') await target?.release();
      state = 'released';
      return target?.path;
    },
    async abort() {
      if (state !== 'pending') return;
      state = 'aborted';
      await target?.abort();
    },
  };
}
