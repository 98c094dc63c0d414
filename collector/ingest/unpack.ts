// Unpacks a bundle while it is verified, into a fresh directory only the
// collector can read, and keeps it only when the whole bundle proved intact.
// The shared reader (bundle/verify.ts) already refuses every tar trick (links,
// devices, directories, pax and GNU headers, unlisted or resized entries,
// ratio and size bombs) and hands out only files the signed manifest lists;
// here each listed name is checked again as a path on this machine, before
// any byte is written: split on "/" and "\", no "..", ".", empty parts,
// absolute paths, drive letters, NUL or control characters, no two names
// equal after Unicode normalisation and case folding (a file system that
// folds case or normalises would merge them), no file where another needs a
// directory, bounded depth and part length. Files are created with O_EXCL and
// O_NOFOLLOW, so nothing already on disk is written through.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { printable } from '../../bundle/printable.ts';
import { BundleProblem } from '../../bundle/problems.ts';
import type { TarEntrySink } from '../../bundle/tar-reader.ts';
import { type ReadOptions, readBundle, type VerifiedBundle } from '../../bundle/verify.ts';
import type { BundleManifest } from '../../schemas/bundle-manifest.ts';

export const maxDepth = 16;
const maxPartBytes = 255;

/** The reasons a listed name cannot be a file here, or undefined when it can. */
export function unsafePathReason(path: string): string | undefined {
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.startsWith('/')) return 'it is absolute';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(path)) return 'it contains a control character';
  const parts = path.split('/');
  if (parts.length > maxDepth) return `it is more than ${maxDepth} directories deep`;
  for (const part of parts) {
    if (part === '' || part === '.' || part === '..') return 'it has an empty, "." or ".." part';
    if (Buffer.byteLength(part) > maxPartBytes) return `a part is longer than ${maxPartBytes} bytes`;
  }
  if (/^[A-Za-z]:/.test(parts[0] as string)) return 'it starts with a drive letter';
  return undefined;
}

/** Refuses a file list that cannot be unpacked as distinct files on every file system. */
export function checkFileList(manifest: BundleManifest): void {
  const folded = new Map<string, string>();
  const files = new Set<string>();
  const directories = new Set<string>();
  const unsafe = (path: string, detail: string) =>
    new BundleProblem('unsafe-entry', `${printable(path)}: ${detail}`, { entry: printable(path) });
  for (const { path } of manifest.files) {
    const reason = unsafePathReason(path);
    if (reason) throw unsafe(path, reason);
    const key = path.normalize('NFC').toLowerCase().normalize('NFC');
    const other = folded.get(key);
    if (other !== undefined) {
      throw unsafe(
        path,
        `it names the same file as ${printable(other)} on a file system that folds case or Unicode forms`,
      );
    }
    folded.set(key, path);
    files.add(key);
    const parts = key.split('/');
    for (let i = 1; i < parts.length; i++) directories.add(parts.slice(0, i).join('/'));
  }
  for (const directory of directories) {
    if (files.has(directory)) throw unsafe(folded.get(directory) as string, 'a file where a directory is needed');
  }
}

export interface UnpackOptions extends Omit<ReadOptions, 'onEntry'> {
  /** The directory that holds a tenant's unpacked bundles. */
  readonly parent: string;
  /** The final directory name (the bundle id). */
  readonly name: string;
  /** False: verify only, write nothing (a bundle quarantined before unpacking). */
  readonly write?: (manifest: BundleManifest) => boolean;
}

export interface Unpacked {
  readonly verified: VerifiedBundle;
  /** The directory holding the bundle's files, or undefined when nothing was written. */
  readonly dir: string | undefined;
}

/**
 * Verifies and unpacks in one pass; the directory appears under its final
 * name only when readBundle resolved. On any failure nothing is left.
 */
export async function unpackBundle(blobPath: string, options: UnpackOptions): Promise<Unpacked> {
  mkdirSync(options.parent, { recursive: true, mode: 0o700 });
  const temp = join(options.parent, `.unpack-${options.name}-${randomBytes(6).toString('hex')}`);
  let writing = false;
  const open: { fd: number | undefined } = { fd: undefined };
  try {
    const verified = await readBundle(blobPath, {
      ...options,
      onProven(manifest, signer) {
        options.onProven?.(manifest, signer);
        checkFileList(manifest);
        writing = options.write?.(manifest) ?? true;
        if (writing) mkdirSync(temp, { mode: 0o700 });
      },
      onEntry: (file) => (writing ? fileSink(temp, file.path, open) : undefined),
    });
    if (!writing) return { verified, dir: undefined };
    for (const [name, bytes] of Object.entries(verified.seal)) writeNew(join(temp, name), bytes);
    const dir = join(options.parent, options.name);
    await rm(dir, { recursive: true, force: true });
    await rename(temp, dir);
    return { verified, dir };
  } catch (error) {
    if (open.fd !== undefined) closeSync(open.fd);
    throw error;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

const createFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

function fileSink(root: string, path: string, open: { fd: number | undefined }): TarEntrySink {
  const parts = path.split('/');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  const fd = openSync(join(root, ...parts), createFlags, 0o600);
  open.fd = fd;
  return {
    data(chunk) {
      let at = 0;
      while (at < chunk.length) at += writeSync(fd, chunk, at);
    },
    end() {
      closeSync(fd);
      open.fd = undefined;
    },
  };
}

function writeNew(path: string, bytes: Buffer): void {
  const fd = openSync(path, createFlags, 0o600);
  try {
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at);
  } finally {
    closeSync(fd);
  }
}
