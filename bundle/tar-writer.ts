// The tar framing of a bundle: a ustar header before each file (with a pax
// header first when the path does not fit ustar's name and prefix fields),
// zero padding to 512 bytes after it, and two zero blocks at the end. The
// archive writer puts file bodies between them itself, so a body that a
// staging worker already compressed can go into the compressed stream as it
// is. Headers are those tar-stream wrote before (regular files, mode 0644,
// owner 0, the bundle's time), which every tar and verify/tar-reader.ts read.
const block = 512;

/** The end of an archive: two zero blocks. */
export const tarEnd: Buffer = Buffer.alloc(2 * block);

/** Header block(s) of one regular file. */
export function tarHeader(path: string, size: number, mtime: Date): Buffer {
  const plain = ustarHeader(path, size, mtime, '0');
  if (plain) return plain;
  const pax = paxRecord('path', path);
  const paxHeader = ustarHeader('PaxHeader', pax.length, mtime, 'x') as Buffer;
  const header = ustarHeader('PaxHeader', size, mtime, '0') as Buffer;
  return Buffer.concat([paxHeader, pax, tarPadding(pax.length), header]);
}

/** The zero bytes that fill a body of `size` bytes up to the next 512-byte block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((block - (size % block)) % block);
}

/** One ustar header, or undefined when the path needs a pax header (too long, or not ASCII). */
function ustarHeader(path: string, size: number, mtime: Date, type: '0' | 'x'): Buffer | undefined {
  if (Buffer.byteLength(path) !== path.length) return undefined;
  let name = path;
  let prefix = '';
  while (name.length > 100) {
    const slash = name.indexOf('/');
    if (slash < 0) return undefined;
    prefix += prefix ? `/${name.slice(0, slash)}` : name.slice(0, slash);
    name = name.slice(slash + 1);
  }
  if (name.length > 100 || prefix.length > 155) return undefined;
  const header = Buffer.alloc(block);
  header.write(name, 0, 'latin1');
  header.write(octal(0o644, 6), 100);
  header.write(octal(0, 6), 108);
  header.write(octal(0, 6), 116);
  if (size.toString(8).length > 11) {
    // Past 8 GiB: base-256, as GNU tar and tar-stream write it.
    header[124] = 0x80;
    for (let i = 11, rest = size; i > 0; i--, rest = Math.floor(rest / 256)) header[124 + i] = rest % 256;
  } else header.write(octal(size, 11), 124);
  header.write(octal(Math.floor(mtime.getTime() / 1000), 11), 136);
  header.write(type, 156);
  header.write('ustar\u000000', 257, 'latin1');
  header.write(octal(0, 6), 329);
  header.write(octal(0, 6), 337);
  if (prefix) header.write(prefix, 345, 'latin1');
  let sum = 8 * 32; // the checksum field counts as spaces
  for (let i = 0; i < block; i++) if (i < 148 || i >= 156) sum += header[i] as number;
  header.write(octal(sum, 6), 148);
  return header;
}

/** `digits` octal digits, a space and a NUL (a larger size takes the whole field, as tar-stream did). */
function octal(value: number, digits: number): string {
  const text = value.toString(8);
  if (text.length > digits) return `${'7'.repeat(digits)} `.slice(0, digits + 1);
  return `${text.padStart(digits, '0')} `;
}

/** A pax record `LEN key=value\n`, where LEN counts itself. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body);
  let digits = String(bodyBytes).length;
  if (bodyBytes + digits >= 10 ** digits) digits++;
  return Buffer.from(`${bodyBytes + digits}${body}`);
}
