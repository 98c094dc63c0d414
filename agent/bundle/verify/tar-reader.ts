// A strict, streaming reader for the tar archives shiplog writes. Bundles
// come from outside, so every header is hostile input: only regular files
// (and directories) with plain relative names are accepted, sizes are capped,
// and an archive without its end-of-archive blocks counts as truncated.
// Entry bodies are handed out chunk by chunk and never buffered.
import { isPlainBundlePath } from '../seal/checksums.ts';

const block = 512;

export type TarProblemKind = 'truncated' | 'unsafe' | 'corrupt';

/** A reason to reject the archive; verify maps the kind to an error code. */
export class TarProblem extends Error {
  readonly kind: TarProblemKind;
  readonly entry: string;
  constructor(kind: TarProblemKind, entry: string, message: string) {
    super(message);
    this.kind = kind;
    this.entry = entry;
  }
}

export interface TarLimits {
  readonly maxEntries: number;
  readonly maxEntrySize: number;
  readonly maxTotalSize: number;
}

export const defaultTarLimits: TarLimits = {
  maxEntries: 100_000,
  maxEntrySize: 16 * 1024 ** 3,
  maxTotalSize: 64 * 1024 ** 3,
};

export interface TarEntrySink {
  data(chunk: Buffer): void;
  end(): void;
}

/** Reads the whole archive, calling `onEntry` for each regular file; rejects with TarProblem. */
export async function readTar(
  source: AsyncIterable<Buffer>,
  onEntry: (path: string, size: number) => TarEntrySink,
  limits: TarLimits = defaultTarLimits,
): Promise<void> {
  const seen = new Set<string>();
  let total = 0;
  let header = Buffer.alloc(0);
  let pax: Buffer[] | undefined;
  let paxPath: string | undefined;
  let body: { sink?: TarEntrySink; pax?: Buffer[]; remaining: number; padding: number } | undefined;
  let ended = false;
  let current = '(archive start)';

  const startEntry = (raw: Buffer) => {
    if (raw.every((byte) => byte === 0)) {
      ended = true;
      return;
    }
    const checksum = parseOctal(raw.subarray(148, 156));
    if (checksum === undefined || checksum !== headerChecksum(raw)) {
      throw new TarProblem('corrupt', current, `the tar header after ${current} is damaged (bad checksum)`);
    }
    const type = String.fromCharCode(raw[156] ?? 0);
    const size = parseSize(raw.subarray(124, 136));
    const name = paxPath ?? headerName(raw);
    paxPath = undefined;
    current = name;
    if (size === undefined || size > limits.maxEntrySize) {
      throw new TarProblem('unsafe', name, 'its size is missing or larger than any bundle file');
    }
    total += size;
    if (total > limits.maxTotalSize) throw new TarProblem('unsafe', name, 'the archive unpacks to more than the limit');
    const padding = (block - (size % block)) % block;
    if (type === 'x') {
      if (size > 64 * 1024) throw new TarProblem('unsafe', name, 'an oversized pax header');
      pax = [];
      body = { pax, remaining: size, padding };
      return;
    }
    if (type === '5') {
      if (!isPlainBundlePath(name.replace(/\/$/, ''))) throw new TarProblem('unsafe', name, 'an unsafe directory name');
      body = { remaining: size, padding };
      return;
    }
    if (type !== '0' && type !== '\0') {
      throw new TarProblem('unsafe', name, `a ${typeName(type)}, and bundles hold only regular files`);
    }
    if (!isPlainBundlePath(name)) throw new TarProblem('unsafe', name, 'an absolute path, ".." or another unsafe name');
    if (seen.has(name)) throw new TarProblem('unsafe', name, 'the name appears twice');
    seen.add(name);
    if (seen.size > limits.maxEntries) throw new TarProblem('unsafe', name, 'more entries than any bundle has');
    body = { sink: onEntry(name, size), remaining: size, padding };
  };

  const finishBody = () => {
    if (!body) return;
    if (body.pax) paxPath = paxValue(Buffer.concat(body.pax), current);
    body.sink?.end();
    body = undefined;
  };

  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      if (ended) {
        // Past the end-of-archive marker only zero padding may follow.
        if (chunk.subarray(offset).some((byte) => byte !== 0)) {
          throw new TarProblem('unsafe', current, 'data hidden after the end of the archive');
        }
        break;
      }
      if (body && body.remaining > 0) {
        const take = Math.min(body.remaining, chunk.length - offset);
        const piece = chunk.subarray(offset, offset + take);
        if (body.pax) body.pax.push(Buffer.from(piece));
        else body.sink?.data(piece);
        body.remaining -= take;
        offset += take;
        continue;
      }
      if (body && body.padding > 0) {
        const take = Math.min(body.padding, chunk.length - offset);
        body.padding -= take;
        offset += take;
        continue;
      }
      finishBody();
      const take = Math.min(block - header.length, chunk.length - offset);
      header = Buffer.concat([header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (header.length === block) {
        const raw = header;
        header = Buffer.alloc(0);
        startEntry(raw);
      }
    }
  }
  if (body && (body.remaining > 0 || body.padding > 0)) {
    throw new TarProblem('truncated', current, `the archive ends in the middle of ${current}`);
  }
  finishBody();
  if (!ended) throw new TarProblem('truncated', current, `the archive ends after ${current} without its end marker`);
}

function headerName(raw: Buffer): string {
  const name = cString(raw.subarray(0, 100));
  const ustar = raw.subarray(257, 262).toString('latin1') === 'ustar';
  const prefix = ustar ? cString(raw.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
}

function parseOctal(field: Buffer): number | undefined {
  const text = cString(field).trim();
  return /^[0-7]+$/.test(text) ? Number.parseInt(text, 8) : undefined;
}

/** Octal, or GNU base-256 for large sizes (high bit set). */
function parseSize(field: Buffer): number | undefined {
  if (((field[0] ?? 0) & 0x80) === 0) return parseOctal(field);
  let value = (field[0] ?? 0) & 0x7f;
  for (const byte of field.subarray(1)) value = value * 256 + byte;
  return Number.isSafeInteger(value) ? value : undefined;
}

function headerChecksum(raw: Buffer): number {
  let sum = 0;
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 32 : (raw[i] ?? 0);
  return sum;
}

/** The `path` record of a pax header (`LEN key=value\n` records); other keys are ignored. */
function paxValue(bytes: Buffer, entry: string): string | undefined {
  let offset = 0;
  let path: string | undefined;
  while (offset < bytes.length) {
    const space = bytes.indexOf(0x20, offset);
    const length = Number.parseInt(bytes.subarray(offset, space).toString('latin1'), 10);
    if (space < 0 || !Number.isSafeInteger(length) || length <= 0 || offset + length > bytes.length) {
      throw new TarProblem('corrupt', entry, 'a malformed pax header');
    }
    const record = bytes.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (record.slice(0, equals) === 'path') path = record.slice(equals + 1);
    if (record.slice(0, equals) === 'size') throw new TarProblem('unsafe', entry, 'a pax size override');
    offset += length;
  }
  return path;
}

function typeName(type: string): string {
  const names: Record<string, string> = {
    '1': 'hard link',
    '2': 'symbolic link',
    '3': 'character device',
    '4': 'block device',
    '6': 'FIFO',
    g: 'global pax header',
    L: 'GNU long name',
    K: 'GNU long link',
  };
  return names[type] ?? `tar entry of type "${type}"`;
}
