// SHA-256 of the exact bytes that pass through, and the SHA256SUMS file that
// `sha256sum -c` checks at the bundle's root.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export interface Digest {
  readonly size: number;
  /** Lower-case hex SHA-256. */
  readonly sha256: string;
}

/** A pass-through that hashes and counts what flows through it; read `digest()` after it ends. */
export class HashingStream extends Transform {
  #hash: Hash = createHash('sha256');
  #size = 0;
  #digest: Digest | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = { size: this.#size, sha256: this.#hash.digest('hex') };
    callback();
  }

  digest(): Digest {
    if (!this.#digest) throw new Error('HashingStream.digest() called before the stream ended');
    return this.#digest;
  }
}

export function digestOf(bytes: Buffer): Digest {
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Incremental hashing for readers that see an entry chunk by chunk (verify). */
export class Hasher {
  #hash = createHash('sha256');
  #size = 0;
  update(chunk: Buffer): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
  }
  digest(): Digest {
    return { size: this.#size, sha256: this.#hash.digest('hex') };
  }
}

/**
 * Paths that sha256sum would escape (backslash, newline) or that a shell user
 * could misread are refused, so every line is the plain `HASH  PATH` form.
 */
export function isPlainBundlePath(path: string): boolean {
  if (path === '' || path.length > 1024 || path.startsWith('/') || path.endsWith('/')) return false;
  for (let i = 0; i < path.length; i++) {
    const unit = path.charCodeAt(i);
    // Control characters and backslash: sha256sum would escape such a name.
    if (unit < 0x20 || unit === 0x7f || unit === 0x5c) return false;
  }
  // A drive letter: bsdtar strips it, so `C:SUMMARY.txt` would land on SUMMARY.txt.
  if (/^[A-Za-z]:/.test(path)) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** `HASH  PATH` lines sorted by path (byte order), as `sha256sum -c` reads them. */
export function formatSha256Sums(files: Iterable<{ path: string; sha256: string }>): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return sorted.map((file) => `${file.sha256}  ${file.path}\n`).join('');
}

/** Parses SHA256SUMS strictly: throws on any line that is not `HASH  PATH` or `HASH *PATH`, or a repeated path. */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match?.[1] || !match[2] || !isPlainBundlePath(match[2])) throw new Error(`line ${index + 1} is malformed`);
    if (sums.has(match[2])) throw new Error(`${match[2]} is listed twice`);
    sums.set(match[2], match[1]);
  }
  return sums;
}
