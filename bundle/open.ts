// Opens a bundle file as a stream of tar bytes: recognises age, gzip and zstd
// by their magic numbers, decrypts with the given age identities, and turns
// every failure of those layers into a BundleProblem. Only a regular file is
// opened (a FIFO or a device would block or never end), through one file
// descriptor, so what was checked is what is read. Work before trust is
// bounded here too: an age header with more recipient stanzas than any real
// bundle has is refused before a single key exchange, and the compressed
// bytes the decompressor took are reported for the reader's ratio bound.
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable, type Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { Decrypter } from 'age-encryption';
import { BundleProblem } from './problems.ts';
import { cutZstdFrames, type FrameCount } from './zstd-frames.ts';

/** The first bytes of every binary age file. */
export const ageMagic = Buffer.from('age-encryption.org/v1\n');
const gzipMagic = Buffer.from([0x1f, 0x8b]);
const zstdMagic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const ageArmor = Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----');

/** An age header larger than this, or with more stanzas, is no bundle's (shiplog encrypts to one recipient). */
export const ageHeaderLimits = { maxBytes: 64 * 1024, maxStanzas: 32 };

export interface OpenedBundle {
  readonly encrypted: boolean;
  readonly compression: 'gzip' | 'zstd';
  /** The tar bytes; iteration throws BundleProblem (truncated, tampered, decrypt, unreadable, limit). */
  readonly tar: AsyncIterable<Buffer>;
  /** For zstd: the frame count, whose `maxFrames` the reader sets. */
  readonly frames: FrameCount | undefined;
  /** Compressed bytes the decompressor has taken so far (for the ratio bound). */
  readonly compressedBytesRead: () => number;
  /** Closes the file; safe to call twice. */
  close(): Promise<void>;
}

/** `identities`: the text of age identity files (AGE-SECRET-KEY-1... lines; comments allowed). */
export async function openBundle(path: string, identities: readonly string[] = []): Promise<OpenedBundle> {
  const handle = await openRegularFile(path);
  let head: Buffer;
  try {
    head = await readHead(handle, ageHeaderLimits.maxBytes);
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
  // The stream owns the descriptor from here on and closes it when destroyed.
  // Megabyte reads and 256 KiB decompressed chunks: the tar reader and the hashes see each chunk once.
  const file = handle.createReadStream({ start: 0, highWaterMark: 1024 * 1024, autoClose: true });
  const closed = new Promise<void>((resolve) => file.once('close', resolve));
  const close = async () => {
    file.destroy();
    await closed;
  };
  try {
    return await openStream(file, head, identities, close);
  } catch (error) {
    await close();
    throw error;
  }
}

async function openStream(
  file: Readable,
  head: Buffer,
  identities: readonly string[],
  closeFile: () => Promise<void>,
): Promise<OpenedBundle> {
  let encrypted = false;
  let plain: Readable = file;
  if (startsWith(head, ageMagic) || startsWith(head, ageArmor)) {
    if (startsWith(head, ageArmor)) {
      throw new BundleProblem('decrypt', 'it is ASCII-armored; remove the armor with "age -d" first');
    }
    if (identities.length === 0) {
      throw new BundleProblem(
        'decrypt',
        'it is encrypted with age; pass the vendor identity file with --identity KEY_FILE',
      );
    }
    checkAgeHeader(head);
    encrypted = true;
    plain = await decrypt(plain, identities);
  }
  const [first, rest] = await peek(plain, 4, encrypted);
  const compression = startsWith(first, gzipMagic) ? 'gzip' : startsWith(first, zstdMagic) ? 'zstd' : undefined;
  if (!compression) {
    throw new BundleProblem(
      'not-a-bundle',
      encrypted ? 'the decrypted data is not gzip or zstd' : 'it is not a gzip, zstd or age file',
    );
  }
  const chunkSize = 256 * 1024;
  // A small input buffer keeps the decompressor (and the frame count) close behind the tar reader.
  const streamOptions = { chunkSize, writableHighWaterMark: 1024 };
  const decompressor: Transform =
    compression === 'gzip' ? createGunzip(streamOptions) : createZstdDecompress(streamOptions);
  // Node's zstd stream drops what follows a frame's end within one chunk: it gets a frame's end at a time.
  const frames: FrameCount | undefined =
    compression === 'zstd' ? { frames: 0, maxFrames: Number.POSITIVE_INFINITY } : undefined;
  const input = frames ? Readable.from(cutZstdFrames(rest, frames), { objectMode: false, highWaterMark: 1 }) : rest;
  // With zstd, the cutter reads `rest` and rethrows its errors; leaving the loop early aborts `rest`, which is no error.
  input.once('error', (error) => decompressor.destroy(error));
  input.pipe(decompressor);
  return {
    encrypted,
    compression,
    tar: classify(decompressor, encrypted),
    compressedBytesRead: () => (decompressor as Transform & { bytesWritten: number }).bytesWritten,
    frames,
    async close() {
      decompressor.destroy();
      await closeFile();
    },
  };
}

/** Opens without blocking (a FIFO would wait for a writer) and refuses anything but a regular file. */
async function openRegularFile(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw new BundleProblem('unreadable', errorText(error), {}, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      const what = stats.isFIFO()
        ? 'a FIFO'
        : stats.isDirectory()
          ? 'a directory'
          : stats.isSocket()
            ? 'a socket'
            : 'a device';
      throw new BundleProblem('unreadable', `it is ${what}, not a regular file; copy the bundle to a file first`);
    }
    return handle;
  } catch (error) {
    await handle.close().catch(() => {});
    if (error instanceof BundleProblem) throw error;
    throw new BundleProblem('unreadable', errorText(error), {}, { cause: error });
  }
}

async function readHead(handle: FileHandle, length: number): Promise<Buffer> {
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw new BundleProblem('unreadable', errorText(error), {}, { cause: error });
  }
}

/** Counts the recipient stanzas of an age header before the library tries a key exchange on each. */
function checkAgeHeader(head: Buffer): void {
  const end = head.indexOf('\n---');
  // The whole file was read into `head` when it is shorter than the cap: a header without its end was cut short.
  const cut = () => new BundleProblem('truncated', 'the file ends inside its age header');
  if (end >= 0 && head.length < ageHeaderLimits.maxBytes) {
    const macEnd = head.indexOf('\n', end + 1);
    // After the MAC line come the 16 bytes of the payload nonce.
    if (macEnd < 0 || head.length < macEnd + 1 + 16) throw cut();
  }
  if (end < 0 && head.length < ageHeaderLimits.maxBytes) throw cut();
  if (end < 0) {
    throw new BundleProblem(
      'limit',
      `its age header is larger than ${ageHeaderLimits.maxBytes / 1024} KiB, which no bundle's is`,
    );
  }
  let stanzas = 0;
  for (let at = head.indexOf('\n-> '); at >= 0 && at < end; at = head.indexOf('\n-> ', at + 1)) stanzas++;
  if (stanzas > ageHeaderLimits.maxStanzas) {
    throw new BundleProblem(
      'limit',
      `its age header has ${stanzas} recipient stanzas; a bundle is encrypted to at most ${ageHeaderLimits.maxStanzas}`,
    );
  }
}

async function decrypt(input: Readable, identities: readonly string[]): Promise<Readable> {
  const decrypter = new Decrypter();
  let count = 0;
  for (const text of identities) {
    for (const line of text.split('\n').map((l) => l.trim())) {
      if (line === '' || line.startsWith('#')) continue;
      try {
        decrypter.addIdentity(line);
        count++;
      } catch (error) {
        throw new BundleProblem(
          'decrypt',
          `the identity file holds a line that is not an age identity (${errorText(error)})`,
        );
      }
    }
  }
  if (count === 0) throw new BundleProblem('decrypt', 'the identity file holds no age identity');
  try {
    const web = await decrypter.decrypt(Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>);
    return Readable.fromWeb(web as unknown as WebReadableStream<Uint8Array>);
  } catch (error) {
    throw new BundleProblem(
      'decrypt',
      `${errorText(error)}; check that the identity matches the recipient the bundle was encrypted to`,
    );
  }
}

/** Reads at least `length` bytes (fewer at end of stream), then gives back a stream that replays them. */
async function peek(input: Readable, length: number, encrypted: boolean): Promise<[Buffer, Readable]> {
  const iterator = input[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size < length) {
      const next = await iterator.next();
      if (next.done) break;
      chunks.push(next.value);
      size += (next.value as Buffer).length;
    }
  } catch (error) {
    throw layerError(error, encrypted);
  }
  const head = Buffer.concat(chunks);
  async function* replay() {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value as Buffer;
    }
  }
  return [head, Readable.from(replay(), { objectMode: false })];
}

async function* classify(tar: AsyncIterable<Buffer>, encrypted: boolean): AsyncIterable<Buffer> {
  try {
    for await (const chunk of tar) yield chunk;
  } catch (error) {
    throw layerError(error, encrypted);
  }
}

/** zlib says "unexpected end of file" for a cut stream; age cannot tell a cut from a change. */
function layerError(error: unknown, encrypted: boolean): BundleProblem {
  if (error instanceof BundleProblem) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR') return new BundleProblem('truncated', 'the compressed data ends too early');
  if (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ZSTD_'))) {
    return new BundleProblem('tampered', `the compressed data is damaged (${errorText(error)})`);
  }
  if (encrypted && !code) {
    return new BundleProblem(
      'tampered',
      `the encrypted data fails its authentication check (${errorText(error)}): it was cut short or changed`,
    );
  }
  return new BundleProblem('unreadable', errorText(error), {}, { cause: error });
}

function startsWith(buffer: Buffer, prefix: Buffer): boolean {
  return buffer.length >= prefix.length && buffer.subarray(0, prefix.length).equals(prefix);
}

function errorText(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
}
