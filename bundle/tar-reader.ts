// A strict, streaming reader for the tar dialect that `shiplog dump` writes,
// and nothing else. Bundles come from outside, so every header is hostile:
// the reader accepts an archive only when GNU tar, bsdtar and Python's
// tarfile would all unpack it to exactly the names and bodies it hands out.
// The dialect (bundle/tar-writer.ts writes it):
//   - POSIX ustar headers (magic "ustar\0", version "00") with a valid checksum;
//   - regular files only (typeflag '0'), no link name, no execute or set-id bits;
//   - a name in the name field, optionally with the prefix field, or in a pax
//     header ('x') that holds exactly one `path` record and comes right
//     before its file's header;
//   - sizes in octal, or base-256 only past what octal can hold;
//   - names valid UTF-8, relative, without "." or "..", control characters
//     or backslashes; each name once;
//   - the end marker (a zero block), after which only zeros may follow.
// Everything else (directories, links, devices, GNU or old-GNU headers,
// global pax headers, sparse or size keys, a pax header with other keys)
// is refused with the entry's name, instead of being skipped, because some
// tar would act on what the reader skipped. Entry bodies are handed out
// chunk by chunk and never buffered.
import { isPlainBundlePath } from './checksums.ts';
import { printable } from './printable.ts';
import { BundleProblem } from './problems.ts';

const block = 512;
const utf8 = new TextDecoder('utf-8', { fatal: true });

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

/**
 * Reads the whole archive, calling `onEntry` at each file's header (it may
 * throw a BundleProblem to refuse the entry before its body is read); rejects
 * with BundleProblem ('truncated', 'unsafe-entry', 'tampered', 'limit').
 */
export async function readTar(
  source: AsyncIterable<Buffer>,
  onEntry: (path: string, size: number) => TarEntrySink,
  limits: TarLimits = defaultTarLimits,
): Promise<void> {
  const seen = new Set<string>();
  let total = 0;
  let header: Buffer = Buffer.alloc(0);
  let pax: Buffer[] | undefined;
  let paxPath: string | undefined;
  let body: { sink?: TarEntrySink; pax?: Buffer[]; remaining: number; padding: number } | undefined;
  let ended = false;
  let current = '(archive start)';
  const unsafe = (detail: string) => new BundleProblem('unsafe-entry', detail, { entry: current });

  const startEntry = (raw: Buffer) => {
    if (raw.every((byte) => byte === 0)) {
      if (paxPath !== undefined) throw unsafe('a pax header is followed by the end of the archive');
      ended = true;
      return;
    }
    const checksum = parseOctal(raw.subarray(148, 156));
    if (checksum === undefined || checksum !== headerChecksum(raw)) {
      throw new BundleProblem('tampered', `the tar header after ${current} is damaged (bad checksum)`, {
        entry: current,
      });
    }
    if (!raw.subarray(257, 265).equals(ustarMagic)) {
      throw unsafe('a tar header that is not POSIX ustar (a GNU, old-GNU or v7 header), which tars read differently');
    }
    const badField = badNumericField(raw);
    if (badField) throw unsafe(`its ${badField} field is not plain octal, which tars read differently`);
    const type = String.fromCharCode(raw[156] ?? 0);
    const fromPax = paxPath;
    paxPath = undefined;
    const name = fromPax ?? headerName(raw, unsafe);
    current = printable(name);
    const size = parseSize(raw.subarray(124, 136));
    if (size === undefined) throw unsafe('its size field is malformed');
    const padding = (block - (size % block)) % block;
    if (type === 'x') {
      if (fromPax !== undefined) throw unsafe('two pax headers in a row');
      if (size === 0 || size > 64 * 1024) throw unsafe('a pax header that is empty or oversized');
      pax = [];
      body = { pax, remaining: size, padding };
      return;
    }
    if (type !== '0') throw unsafe(`a ${typeName(type)}, and bundles hold only regular files`);
    if (!isPlainBundlePath(name)) throw unsafe('an absolute path, "..", a control character or another unsafe name');
    if (raw[157] !== 0) throw unsafe('a regular file with a link name');
    const mode = parseOctal(raw.subarray(100, 108));
    if (mode === undefined || (mode & 0o7111) !== 0) throw unsafe('a file mode with execute or set-id bits');
    if (size > limits.maxEntrySize) {
      throw new BundleProblem('limit', `${current} is larger than any bundle file may be`, { entry: current });
    }
    total += size;
    if (total > limits.maxTotalSize) {
      throw new BundleProblem('limit', 'the archive unpacks to more than the limit', { entry: current });
    }
    if (seen.has(name)) throw unsafe('the name appears twice');
    seen.add(name);
    if (seen.size > limits.maxEntries) {
      throw new BundleProblem('limit', 'more entries than any bundle has', { entry: current });
    }
    body = { sink: onEntry(name, size), remaining: size, padding };
  };

  const finishBody = () => {
    if (!body) return;
    if (body.pax) paxPath = paxPathValue(Buffer.concat(body.pax), unsafe);
    body.sink?.end();
    body = undefined;
  };

  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      if (ended) {
        // Past the end-of-archive marker only zero padding may follow.
        if (chunk.subarray(offset).some((byte) => byte !== 0)) {
          throw unsafe('data hidden after the end of the archive');
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
        if (chunk.subarray(offset, offset + take).some((byte) => byte !== 0)) {
          throw unsafe('data hidden in the padding after an entry');
        }
        body.padding -= take;
        offset += take;
        continue;
      }
      finishBody();
      const take = Math.min(block - header.length, chunk.length - offset);
      header =
        header.length === 0
          ? chunk.subarray(offset, offset + take)
          : Buffer.concat([header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (header.length === block) {
        const raw = Buffer.from(header);
        header = Buffer.alloc(0);
        startEntry(raw);
      }
    }
  }
  if (body && (body.remaining > 0 || body.padding > 0)) {
    throw new BundleProblem('truncated', `the archive ends in the middle of ${current}`, { entry: current });
  }
  finishBody();
  if (!ended) {
    throw new BundleProblem('truncated', `the archive ends after ${current} without its end marker`, {
      entry: current,
    });
  }
}

const ustarMagic = Buffer.from('ustar\u000000', 'latin1');

function headerName(raw: Buffer, unsafe: (detail: string) => BundleProblem): string {
  const name = cString(raw.subarray(0, 100), unsafe);
  const prefix = cString(raw.subarray(345, 500), unsafe);
  return prefix ? `${prefix}/${name}` : name;
}

/** A NUL-terminated field as UTF-8; bytes that are not UTF-8 would be one name to us and another to tar. */
function cString(bytes: Buffer, unsafe: (detail: string) => BundleProblem): string {
  const end = bytes.indexOf(0);
  try {
    return utf8.decode(bytes.subarray(0, end < 0 ? bytes.length : end));
  } catch {
    throw unsafe('a name that is not valid UTF-8');
  }
}

/**
 * A numeric field as every tar reads it alike: octal digits, then spaces or
 * NULs. No leading blanks, tabs, form feeds or other bytes that one tar skips
 * and another stops at.
 */
function parseOctal(field: Buffer): number | undefined {
  const text = field.toString('latin1');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the field terminator tars write
  const match = /^([0-7]{1,12})[ \u0000]*$/.exec(text);
  return match ? Number.parseInt(match[1] as string, 8) : undefined;
}

/** The numeric fields besides size and checksum: octal as above, or all NUL (zero). */
const numericFields: readonly (readonly [string, number, number])[] = [
  ['mode', 100, 8],
  ['uid', 108, 8],
  ['gid', 116, 8],
  ['mtime', 136, 12],
  ['devmajor', 329, 8],
  ['devminor', 337, 8],
];

function badNumericField(raw: Buffer): string | undefined {
  for (const [name, at, length] of numericFields) {
    const field = raw.subarray(at, at + length);
    if (field.every((byte) => byte === 0)) continue;
    if (parseOctal(field) === undefined) return name;
  }
  return undefined;
}

/** Octal, or base-256 (first byte 0x80) for sizes octal cannot hold, as GNU tar and tar-writer.ts write it. */
function parseSize(field: Buffer): number | undefined {
  if (((field[0] ?? 0) & 0x80) === 0) return parseOctal(field);
  if (field[0] !== 0x80) return undefined;
  let value = 0;
  for (const byte of field.subarray(1)) value = value * 256 + byte;
  return Number.isSafeInteger(value) && value >= 8 ** 11 ? value : undefined;
}

function headerChecksum(raw: Buffer): number {
  let sum = 0;
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 32 : (raw[i] ?? 0);
  return sum;
}

/** A pax header of the dialect: exactly one `LEN path=VALUE\n` record. */
function paxPathValue(bytes: Buffer, unsafe: (detail: string) => BundleProblem): string {
  const space = bytes.indexOf(0x20);
  const lengthText = space > 0 ? bytes.subarray(0, space).toString('latin1') : '';
  const length = /^[1-9][0-9]{0,5}$/.test(lengthText) ? Number.parseInt(lengthText, 10) : Number.NaN;
  if (length !== bytes.length || bytes[length - 1] !== 0x0a) {
    throw unsafe('a pax header that is malformed or holds more than one record');
  }
  let record: string;
  try {
    record = utf8.decode(bytes.subarray(space + 1, length - 1));
  } catch {
    throw unsafe('a pax header that is not valid UTF-8');
  }
  if (!record.startsWith('path=')) {
    throw unsafe(
      `a pax header with the key "${printable(record.slice(0, record.indexOf('=')))}"; bundles use only "path"`,
    );
  }
  return record.slice('path='.length);
}

function typeName(type: string): string {
  const names: Record<string, string> = {
    '\0': 'pre-POSIX regular file',
    '1': 'hard link',
    '2': 'symbolic link',
    '3': 'character device',
    '4': 'block device',
    '5': 'directory',
    '6': 'FIFO',
    '7': 'contiguous file',
    g: 'global pax header',
    L: 'GNU long name',
    K: 'GNU long link',
    S: 'GNU sparse file',
    D: 'GNU dump directory',
    M: 'GNU multi-volume continuation',
    V: 'GNU volume label',
  };
  return names[type] ?? `tar entry of type "${printable(type)}"`;
}
