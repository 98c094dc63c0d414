// Opens a bundle file as a stream of tar bytes: recognises age, gzip and zstd
// by their magic numbers, decrypts with the given age identities, and turns
// every failure of those layers into a bundle error code.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, type Transform } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { Decrypter } from 'age-encryption';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { ageMagic } from '../seal/encrypt.ts';
import { ZstdFrameCutter } from './zstd-frames.ts';

const gzipMagic = Buffer.from([0x1f, 0x8b]);
const zstdMagic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const ageArmor = Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----');

export interface OpenedBundle {
  readonly encrypted: boolean;
  readonly compression: 'gzip' | 'zstd';
  /** The tar bytes; iteration throws CodedError (TRUNCATED, TAMPERED, UNREADABLE). */
  readonly tar: AsyncIterable<Buffer>;
}

/** `identities`: the text of age identity files (AGE-SECRET-KEY-1... lines; comments allowed). */
export async function openBundle(path: string, identities: readonly string[] = []): Promise<OpenedBundle> {
  const head = await readHead(path, 64);
  let encrypted = false;
  // Megabyte reads and 256 KiB decompressed chunks: the tar reader and the hashes see each chunk once.
  let plain: Readable = createReadStream(path, { highWaterMark: 1024 * 1024 });
  if (startsWith(head, ageMagic) || startsWith(head, ageArmor)) {
    if (startsWith(head, ageArmor)) {
      throw new CodedError(agentErrors.BUNDLE_DECRYPT, {
        path,
        detail: 'it is ASCII-armored; remove the armor with "age -d" first',
      });
    }
    if (identities.length === 0) {
      throw new CodedError(agentErrors.BUNDLE_DECRYPT, {
        path,
        detail: 'it is encrypted with age; pass the vendor identity file with --identity KEY_FILE',
      });
    }
    encrypted = true;
    plain = await decrypt(path, plain, identities);
  }
  const [first, rest] = await peek(plain, 4, path, encrypted);
  const compression = startsWith(first, gzipMagic) ? 'gzip' : startsWith(first, zstdMagic) ? 'zstd' : undefined;
  if (!compression) {
    throw new CodedError(agentErrors.BUNDLE_NOT_A_BUNDLE, {
      path,
      detail: encrypted ? 'the decrypted data is not gzip or zstd' : 'it is not a gzip, zstd or age file',
    });
  }
  const chunkSize = 256 * 1024;
  const decompressor: Transform =
    compression === 'gzip' ? createGunzip({ chunkSize }) : createZstdDecompress({ chunkSize });
  // Node's zstd stream drops what follows a frame's end within one chunk: it gets a frame's end at a time.
  const input = compression === 'zstd' ? rest.pipe(new ZstdFrameCutter()) : rest;
  rest.once('error', (error) => decompressor.destroy(error));
  if (input !== rest) input.once('error', (error) => decompressor.destroy(error));
  input.pipe(decompressor);
  return { encrypted, compression, tar: classify(decompressor, path, encrypted) };
}

async function readHead(path: string, length: number): Promise<Buffer> {
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new CodedError(agentErrors.BUNDLE_UNREADABLE, { path, detail: errorText(error) }, { cause: error });
  }
}

async function decrypt(path: string, input: Readable, identities: readonly string[]): Promise<Readable> {
  const decrypter = new Decrypter();
  let count = 0;
  for (const text of identities) {
    for (const line of text.split('\n').map((l) => l.trim())) {
      if (line === '' || line.startsWith('#')) continue;
      try {
        decrypter.addIdentity(line);
        count++;
      } catch (error) {
        throw new CodedError(agentErrors.BUNDLE_DECRYPT, {
          path,
          detail: `the identity file holds a line that is not an age identity (${errorText(error)})`,
        });
      }
    }
  }
  if (count === 0)
    throw new CodedError(agentErrors.BUNDLE_DECRYPT, { path, detail: 'the identity file holds no age identity' });
  try {
    const web = await decrypter.decrypt(Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>);
    return Readable.fromWeb(web as unknown as WebReadableStream<Uint8Array>);
  } catch (error) {
    throw new CodedError(agentErrors.BUNDLE_DECRYPT, {
      path,
      detail: `${errorText(error)}; check that the identity matches the recipient the bundle was encrypted to`,
    });
  }
}

/** Reads at least `length` bytes (fewer at end of stream), then gives back a stream that replays them. */
async function peek(input: Readable, length: number, path: string, encrypted: boolean): Promise<[Buffer, Readable]> {
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
    throw layerError(error, path, encrypted);
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

async function* classify(tar: AsyncIterable<Buffer>, path: string, encrypted: boolean): AsyncIterable<Buffer> {
  try {
    for await (const chunk of tar) yield chunk;
  } catch (error) {
    throw layerError(error, path, encrypted);
  }
}

/** zlib says "unexpected end of file" for a cut stream; age cannot tell a cut from a change. */
function layerError(error: unknown, path: string, encrypted: boolean): CodedError {
  if (error instanceof CodedError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR')
    return new CodedError(agentErrors.BUNDLE_TRUNCATED, { path, detail: 'the compressed data ends too early' });
  if (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ZSTD_'))) {
    return new CodedError(agentErrors.BUNDLE_TAMPERED, {
      path,
      detail: `the compressed data is damaged (${errorText(error)})`,
    });
  }
  if (encrypted && !code) {
    return new CodedError(agentErrors.BUNDLE_TAMPERED, {
      path,
      detail: `the encrypted data fails its authentication check (${errorText(error)}): it was cut short or changed`,
    });
  }
  return new CodedError(agentErrors.BUNDLE_UNREADABLE, { path, detail: errorText(error) }, { cause: error });
}

function startsWith(buffer: Buffer, prefix: Buffer): boolean {
  return buffer.length >= prefix.length && buffer.subarray(0, prefix.length).equals(prefix);
}

function errorText(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
}
