// Builders for hostile support bundles, shared by the hostile-input tests
// (test/unit/bundle/hostile.test.ts), the tar parity property test and the
// verify-hostile benchmark. Each recipe starts from the tar of a genuine
// bundle, or from a seal an attacker signed with a key of their own, and
// changes it the way an attacker would: at the tar layer (raw header blocks
// with any field spelled any way), at the compression layer (members and
// frames cut where the attacker likes) or at the age layer. Inputs that
// stand for gigabytes are written to disk as they are made, one compressed
// unit repeated, so a bomb of many GiB costs a few megabytes of file.
//
// Nothing here imports vitest: the benchmark runs it outside the test runner.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { gunzipSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { Encrypter } from 'age-encryption';
import type { SigningKey } from '../../agent/bundle/seal/signing-key.ts';
import { formatSha256Sums } from '../../bundle/checksums.ts';
import { signatureNamespace } from '../../bundle/ssh-public-key.ts';
import type { BundleFile } from '../../schemas/bundle-manifest.ts';
import { draft } from '../unit/agent/bundle/seal/make-bundle.ts';

export type Compression = 'gzip' | 'zstd';

const block = 512;

// ------------------------------------------------------------ raw headers

/** Byte ranges of the ustar header fields. */
export const headerFields = {
  name: [0, 100],
  mode: [100, 108],
  uid: [108, 116],
  gid: [116, 124],
  size: [124, 136],
  mtime: [136, 148],
  checksum: [148, 156],
  typeflag: [156, 157],
  linkname: [157, 257],
  magic: [257, 263],
  version: [263, 265],
  uname: [265, 297],
  gname: [297, 329],
  devmajor: [329, 337],
  devminor: [337, 345],
  prefix: [345, 500],
} as const;

export type HeaderField = keyof typeof headerFields;

/** POSIX ustar: "ustar\0" then version "00". */
export const ustarMagic = Buffer.from('ustar\u000000', 'latin1');
/** Old GNU tar: "ustar  \0" across the magic and version fields. */
export const oldGnuMagic = Buffer.from('ustar  \u0000', 'latin1');

const asBytes = (value: string | Buffer) => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value);

/** Writes `value` into a field of a header block, the rest of the field zero (too long a value is cut). */
export function setField(header: Buffer, field: HeaderField, value: string | Buffer): Buffer {
  const [from, to] = headerFields[field];
  header.fill(0, from, to);
  asBytes(value).copy(header, from, 0, to - from);
  return header;
}

/** An octal number as tar-writer spells it: zero-padded digits, then a space or NUL. */
export function octalField(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\u0000`;
}

/** A size in base-256 (first byte 0x80), as GNU tar writes sizes octal cannot hold. */
export function base256Size(value: number): Buffer {
  const field = Buffer.alloc(12);
  field[0] = 0x80;
  for (let i = 11, rest = value; i > 0; i--, rest = Math.floor(rest / 256)) field[i] = rest % 256;
  return field;
}

/** Recomputes the header checksum (unsigned sum, the field counted as spaces), as every tar writes it. */
export function fixChecksum(header: Buffer): Buffer {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < block; i++) sum += header[i] as number;
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
  return header;
}

export interface HeaderSpec {
  readonly name: string | Buffer;
  /** A number (octal, or base-256 past 8 GiB) or the raw 12 bytes of the field. */
  readonly size: number | Buffer;
  readonly type?: string;
  readonly mode?: number;
  readonly linkname?: string | Buffer;
  readonly prefix?: string | Buffer;
  /** 8 bytes over the magic and version fields; default POSIX ustar. */
  readonly magic?: Buffer;
}

/** One header block with a valid checksum; defaults are those of a regular file tar-writer writes. */
export function headerBlock(spec: HeaderSpec): Buffer {
  const header = Buffer.alloc(block);
  setField(header, 'name', spec.name);
  setField(header, 'mode', octalField(spec.mode ?? 0o644, 8));
  setField(header, 'uid', octalField(0, 8));
  setField(header, 'gid', octalField(0, 8));
  const size = spec.size;
  setField(
    header,
    'size',
    typeof size !== 'number' ? size : size >= 8 ** 11 ? base256Size(size) : octalField(size, 12),
  );
  setField(header, 'mtime', octalField(1_710_410_400, 12));
  setField(header, 'typeflag', spec.type ?? '0');
  if (spec.linkname !== undefined) setField(header, 'linkname', spec.linkname);
  (spec.magic ?? ustarMagic).copy(header, 257, 0, 8);
  setField(header, 'devmajor', octalField(0, 8));
  setField(header, 'devminor', octalField(0, 8));
  if (spec.prefix !== undefined) setField(header, 'prefix', spec.prefix);
  return fixChecksum(header);
}

/** Zero bytes that fill `size` up to the next block. */
export function padding(size: number): Buffer {
  return Buffer.alloc((block - (size % block)) % block);
}

/** A header, its body and the padding after it. The header's size is the body's unless the spec says otherwise. */
export function tarEntry(
  spec: Partial<HeaderSpec> & { name: string | Buffer },
  body: Buffer = Buffer.alloc(0),
): Buffer {
  return Buffer.concat([headerBlock({ size: body.length, ...spec }), body, padding(body.length)]);
}

/** The body of a pax header: `LEN key=value\n` records, where LEN counts the whole record. */
export function paxRecords(records: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.concat(
    records.map(([key, value]) => {
      const rest = Buffer.byteLength(` ${key}=${value}\n`);
      let length = rest + 1;
      while (String(length).length + rest !== length) length = String(length).length + rest;
      return Buffer.from(`${length} ${key}=${value}\n`, 'utf8');
    }),
  );
}

/** A pax extended header ('x', or 'g' for a global one) holding `records`; put it before the entry it is for. */
export function paxEntry(records: ReadonlyArray<readonly [string, string]>, type: 'x' | 'g' = 'x'): Buffer {
  return tarEntry({ name: 'PaxHeader', type }, paxRecords(records));
}

/** The end of an archive: two zero blocks. */
export const endMarker: Buffer = Buffer.alloc(2 * block);

// ------------------------------------------------------------ reading tars

export interface TarRecord {
  /** The entry's path (from its pax header when it has one). */
  readonly name: string;
  /** Where the entry starts (its pax header when it has one). */
  readonly start: number;
  /** Where its own header block is. */
  readonly header: number;
  /** Where its body starts, its size, and where the next entry starts. */
  readonly body: number;
  readonly size: number;
  readonly end: number;
}

function sizeOf(field: Buffer): number {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let value = 0;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  return Number.parseInt(field.toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
}

/** Lists the entries of a tar that shiplog wrote (ustar, pax path headers), and where its end marker starts. */
export function tarRecords(tar: Buffer): { records: TarRecord[]; end: number } {
  const records: TarRecord[] = [];
  let offset = 0;
  let start = 0;
  let paxPath: string | undefined;
  while (offset + block <= tar.length) {
    const header = tar.subarray(offset, offset + block);
    if (header.every((byte) => byte === 0)) return { records, end: offset };
    const size = sizeOf(header.subarray(124, 136));
    const body = offset + block;
    const end = body + size + padding(size).length;
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === 'x') {
      const text = tar.subarray(body, body + size).toString('utf8');
      paxPath = /^\d+ path=(.*)\n$/s.exec(text)?.[1];
      start = offset;
      offset = end;
      continue;
    }
    const plain = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const prefix = header.subarray(345, 500).toString('utf8').replace(/\0.*$/s, '');
    const name = paxPath ?? (prefix ? `${prefix}/${plain}` : plain);
    records.push({ name, start: paxPath === undefined ? offset : start, header: offset, body, size, end });
    paxPath = undefined;
    offset = end;
  }
  throw new Error('the tar has no end marker');
}

/** The record of `name`; throws when the tar has none. */
export function recordOf(tar: Buffer, name: string): TarRecord {
  const found = tarRecords(tar).records.find((record) => record.name === name);
  if (!found) throw new Error(`the tar holds no ${name}`);
  return found;
}

/** Where the four seal entries end, i.e. where the first content entry starts. */
export function sealEnd(tar: Buffer): number {
  const records = tarRecords(tar).records;
  const last = records[3];
  if (last?.name !== 'signing-key.pub') throw new Error('not a bundle tar');
  return last.end;
}

/** `tar` with `insert` put at byte `at`. */
export function insertAt(tar: Buffer, at: number, ...insert: Buffer[]): Buffer {
  return Buffer.concat([tar.subarray(0, at), ...insert, tar.subarray(at)]);
}

/** `tar` with `append` put between its last entry and its end marker. */
export function appendEntries(tar: Buffer, ...append: Buffer[]): Buffer {
  const { end } = tarRecords(tar);
  return Buffer.concat([tar.subarray(0, end), ...append, endMarker]);
}

/** A copy of one header block of `tar`, changed by `edit`, with its checksum fixed; the rest as it was. */
export function editHeader(tar: Buffer, at: number, edit: (header: Buffer) => void): Buffer {
  const copy = Buffer.from(tar);
  const header = copy.subarray(at, at + block);
  edit(header);
  fixChecksum(header);
  return copy;
}

// ------------------------------------------------------------ attacker seals

export interface ListedFile {
  readonly path: string;
  readonly body?: Buffer;
  /** For a file whose body is not held (a bomb): its size and the hash the manifest claims. */
  readonly size?: number;
  readonly sha256?: string;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function listing(file: ListedFile): BundleFile {
  if (file.body) return { path: file.path, size: file.body.length, sha256: sha256(file.body) };
  return { path: file.path, size: file.size ?? 0, sha256: file.sha256 ?? '0'.repeat(64) };
}

/** The manifest a bundle holding `files` would carry when `key` signed it (signing-key.pub listed first). */
export function manifestBytes(key: SigningKey, files: readonly ListedFile[]): Buffer {
  const pub = Buffer.from(`${key.publicKeyLine}\n`);
  const manifest = {
    ...draft,
    files: [listing({ path: 'signing-key.pub', body: pub }), ...files.map(listing)],
    signing_key: { algorithm: 'ssh-ed25519', fingerprint: key.fingerprint },
  };
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * The four seal entries (manifest.json, its signature by `key`, SHA256SUMS,
 * signing-key.pub) for a bundle listing `files`, or for the manifest bytes
 * given (which need not be a manifest at all).
 */
export function sealEntries(key: SigningKey, files: readonly ListedFile[], manifest?: Buffer): Buffer {
  const bytes = manifest ?? manifestBytes(key, files);
  const pub = Buffer.from(`${key.publicKeyLine}\n`);
  const sums = formatSha256Sums([
    { path: 'manifest.json', sha256: sha256(bytes) },
    { path: 'signing-key.pub', sha256: sha256(pub) },
    ...files.map(listing),
  ]);
  return Buffer.concat([
    tarEntry({ name: 'manifest.json' }, bytes),
    tarEntry({ name: 'manifest.json.sig' }, Buffer.from(key.sign(bytes, signatureNamespace))),
    tarEntry({ name: 'SHA256SUMS' }, Buffer.from(sums)),
    tarEntry({ name: 'signing-key.pub' }, pub),
  ]);
}

/** A complete tar signed by `key`: the seal, then each file with a body as a plain entry, then the end marker. */
export function signedTar(key: SigningKey, files: readonly ListedFile[]): Buffer {
  const bodies = files.filter((file) => file.body).map((file) => tarEntry({ name: file.path }, file.body));
  return Buffer.concat([sealEntries(key, files), ...bodies, endMarker]);
}

/** The content files of a bundle tar (everything after the seal), with their bodies, for re-signing. */
export function contentFiles(tar: Buffer): ListedFile[] {
  return tarRecords(tar)
    .records.slice(4)
    .map((record) => ({ path: record.name, body: Buffer.from(tar.subarray(record.body, record.body + record.size)) }));
}

/** `tar` with its seal replaced by one `key` signed over its content files plus `extra` (listed, no entry added). */
export function resign(tar: Buffer, key: SigningKey, extra: readonly ListedFile[] = []): Buffer {
  return Buffer.concat([sealEntries(key, [...contentFiles(tar), ...extra]), tar.subarray(sealEnd(tar))]);
}

// ------------------------------------------------------------ compression and age

export function compress(tar: Buffer, compression: Compression): Buffer {
  return compression === 'gzip' ? gzipSync(tar) : zstdCompressSync(tar);
}

/** Node's one-shot zstd stops after the first frame; the zstd CLI reads them all, as tar does. */
export function decompress(bytes: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return gunzipSync(bytes);
  return execFileSync('zstd', ['-dc'], { input: bytes, maxBuffer: 1024 ** 3 });
}

/** Compresses each piece on its own: concatenated gzip members or zstd frames, one stream to every reader. */
export function compressPieces(pieces: readonly Buffer[], compression: Compression): Buffer {
  return Buffer.concat(pieces.map((piece) => compress(piece, compression)));
}

export async function ageEncrypt(bytes: Buffer, recipient: string): Promise<Buffer> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  return Buffer.from(await encrypter.encrypt(bytes));
}

/** One empty zstd frame (no content, no checksum). */
export const emptyZstdFrame: Buffer = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x00, 0x01, 0x00, 0x00]);
/** One empty skippable zstd frame. */
export const skippableZstdFrame: Buffer = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 0x00, 0x00, 0x00, 0x00]);

/**
 * `age` output with `count` X25519 recipient stanzas that no identity
 * opens, put before the genuine one: each costs a key exchange to a reader
 * that tries them all.
 */
export function stuffAgeHeader(encrypted: Buffer, count: number): Buffer {
  const firstLineEnd = encrypted.indexOf(0x0a) + 1;
  const share = Buffer.alloc(32, 9).toString('base64url').replace(/=+$/, '');
  const body = Buffer.alloc(32, 7).toString('base64url').replace(/=+$/, '');
  const stanza = Buffer.from(`-> X25519 ${share}\n${body}\n`);
  const stanzas = Buffer.alloc(stanza.length * count);
  for (let i = 0; i < count; i++) stanza.copy(stanzas, i * stanza.length);
  return Buffer.concat([encrypted.subarray(0, firstLineEnd), stanzas, encrypted.subarray(firstLineEnd)]);
}

// ------------------------------------------------------------ big inputs, streamed to disk

/** A piece of the tar stream: bytes, or that many zero bytes (a body nobody needs to hold). */
export type Piece = Buffer | { readonly zeros: number };

/** One gzip member of 16 MiB of zeros at level 9 (about 1030:1, near deflate's ceiling), made once. */
let gzipZeroUnit: { plain: number; packed: Buffer } | undefined;

function gzipZeros(put: (bytes: Buffer) => void, size: number): void {
  gzipZeroUnit ??= { plain: 16 * 1024 * 1024, packed: gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 }) };
  let left = size;
  for (; left >= gzipZeroUnit.plain; left -= gzipZeroUnit.plain) put(gzipZeroUnit.packed);
  if (left > 0) put(gzipSync(Buffer.alloc(left), { level: 9 }));
}

/**
 * One zstd frame of `size` zeros, written by hand as RLE blocks of 128 KiB
 * (four bytes each): 16 GiB in 512 KiB and a single frame, so that only the
 * decompression ratio, not the frame count, can stop a reader.
 */
function zstdZeros(put: (bytes: Buffer) => void, size: number): void {
  const blockMax = 128 * 1024;
  // Magic; descriptor 0 (no content size, no checksum); window 2^17 bytes.
  put(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]));
  const rleBlock = (length: number, last: boolean) => {
    const value = length * 8 + 2 + (last ? 1 : 0);
    return Buffer.from([value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, 0]);
  };
  if (size === 0) {
    put(Buffer.from([0x01, 0x00, 0x00]));
    return;
  }
  const full = rleBlock(blockMax, false);
  const batch = Buffer.concat(Array.from({ length: 4096 }, () => full));
  let left = size;
  while (left > blockMax) {
    const blocks = Math.min(4096, Math.floor((left - 1) / blockMax));
    put(batch.subarray(0, blocks * 4));
    left -= blocks * blockMax;
  }
  put(rleBlock(left, true));
}

/**
 * Writes `pieces` to `path` as one compressed stream, each piece its own
 * members or frames; a run of zeros is written without ever being held.
 * Returns the size of the file.
 */
export function writeCompressed(path: string, pieces: readonly Piece[], compression: Compression): number {
  const fd = openSync(path, 'w');
  let written = 0;
  const put = (bytes: Buffer) => {
    writeSync(fd, bytes);
    written += bytes.length;
  };
  try {
    for (const piece of pieces) {
      if (Buffer.isBuffer(piece)) put(compress(piece, compression));
      else if (compression === 'gzip') gzipZeros(put, piece.zeros);
      else zstdZeros(put, piece.zeros);
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

// ------------------------------------------------------------ recipes that stand for a lot of work

const gib = 1024 ** 3;

/**
 * A compression bomb behind a valid signature: an attacker's seal listing
 * one file of `size` zero bytes (with a hash that is not theirs), then that
 * file. A reader that trusts the listed size inflates all of it.
 */
export function writeBomb(path: string, key: SigningKey, compression: Compression, size = 16 * gib): number {
  const file = { path: 'syslog/messages', size, sha256: 'f'.repeat(64) };
  return writeCompressed(
    path,
    [sealEntries(key, [file]), headerBlock({ name: file.path, size }), { zeros: size }, padding(size), endMarker],
    compression,
  );
}

/**
 * `count` entries the manifest does not list, each of `size` zero bytes,
 * between a genuine bundle's last entry and its end marker.
 */
export function writeUnlisted(path: string, tar: Buffer, compression: Compression, count = 4, size = 16 * gib): number {
  const { end } = tarRecords(tar);
  const pieces: Piece[] = [tar.subarray(0, end)];
  for (let i = 0; i < count; i++) {
    pieces.push(headerBlock({ name: `host/extra-${i}`, size }), { zeros: size }, padding(size));
  }
  pieces.push(endMarker);
  return writeCompressed(path, pieces, compression);
}

/**
 * A genuine zstd bundle with `count` extra frames (empty ones, or skippable
 * ones) at byte `at` of its tar: every frame costs the reader a round trip.
 */
export function writeManyFrames(
  path: string,
  tar: Buffer,
  at: number,
  count = 1_000_000,
  frame: Buffer = emptyZstdFrame,
): number {
  const frames = Buffer.alloc(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(frames, i * frame.length);
  const bytes = Buffer.concat([
    ...(at > 0 ? [zstdCompressSync(tar.subarray(0, at))] : []),
    frames,
    zstdCompressSync(tar.subarray(at)),
  ]);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
  return bytes.length;
}

/**
 * A manifest of `bytes` bytes that is valid JSON but not a manifest, made so
 * that a validator reporting every error would report millions:
 * `{"collectors":[0,0,...]}` or `{"collectors":[{},{},...]}`.
 */
export function hugeManifest(item: '0' | '{}', bytes = 16 * 1024 * 1024): Buffer {
  const count = Math.floor((bytes - 20) / (item.length + 1));
  return Buffer.from(`{"collectors":[${`${item},`.repeat(count - 1)}${item}]}`);
}

/** An attacker's tar whose manifest.json is `manifest` (signed by `key`) and nothing else after the seal. */
export function tarWithManifest(key: SigningKey, manifest: Buffer): Buffer {
  return Buffer.concat([sealEntries(key, [], manifest), endMarker]);
}
