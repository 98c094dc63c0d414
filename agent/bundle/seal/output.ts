// Where a bundle file is written: a temporary file beside the output path
// (`.NAME.HEX.partial`, mode 0600), put in place only when complete. An
// existing path is never replaced unless the caller asks (`replace`), and
// then only a regular file: a directory, FIFO, socket, device or symbolic
// link at the output path is refused, so a bundle can neither vanish into a
// pipe nor take the place of something the operator did not mean to give up.
//
// The check runs twice: before the (long) build, so that a mistake is
// reported at once, and again as the file is put in place. The second is
// atomic: link(2) fails with EEXIST whatever has appeared at the path in the
// meantime, so nothing is replaced between the check and the release.
import { randomBytes } from 'node:crypto';
import { constants, createWriteStream, type Stats, type WriteStream } from 'node:fs';
import { access, link, lstat, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';

export interface OutputOptions {
  /** Replace an existing regular file at the path (`shiplog dump --force`). */
  readonly replace?: boolean;
}

/** A bundle being written under a temporary name. */
export interface OutputFile {
  /** Where release() puts it. */
  readonly path: string;
  /** The temporary file, in the same directory. */
  readonly tempPath: string;
  /** Writes go here; release() ends it. */
  readonly stream: WriteStream;
  /** Ends and syncs the file, then puts it at `path`; on any failure the temporary file is removed. */
  release(): Promise<string>;
  /** Removes the temporary file; safe to call twice, and after release(). */
  abort(): Promise<void>;
}

/** What is at an output path, in words for the error message. */
export type ExistingKind =
  | 'a regular file'
  | 'a directory'
  | 'a symbolic link'
  | 'a FIFO (named pipe)'
  | 'a socket'
  | 'a device'
  | 'an unknown kind of file';

export function existingKind(stats: Stats): ExistingKind {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'an unknown kind of file';
}

/**
 * The error for writing a bundle over what is there (undefined when it may
 * be written): a regular file only with `replace`, anything else never.
 */
export function refusal(path: string, kind: ExistingKind, replace: boolean): CodedError | undefined {
  if (kind !== 'a regular file') return new CodedError(agentErrors.DUMP_OUT_NOT_A_FILE, { path, kind });
  return replace ? undefined : new CodedError(agentErrors.DUMP_OUT_EXISTS, { path });
}

/**
 * Checks, before anything is built, that a bundle could be written to `path`:
 * its directory exists and may be written to, and nothing is there that
 * must not be replaced. The release checks again, atomically.
 */
export async function checkOutputPath(path: string, options: OutputOptions = {}): Promise<void> {
  const existing = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw writeError(path, error);
  });
  if (existing) {
    const refused = refusal(path, existingKind(existing), options.replace === true);
    if (refused) throw refused;
  }
  const dir = dirname(path);
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    throw writeError(path, error, `its directory ${dir} cannot be used (${error.code ?? error.message})`);
  });
  if (!info.isDirectory()) throw writeError(path, undefined, `${dir} is not a directory`);
  await access(dir, constants.W_OK | constants.X_OK).catch((error: NodeJS.ErrnoException) => {
    throw writeError(path, error, `no file can be created in ${dir} (${error.code ?? error.message})`);
  });
}

/** Opens a new temporary file beside `path` for a bundle that release() puts at `path`. */
export async function createOutputFile(path: string, options: OutputOptions = {}): Promise<OutputFile> {
  const tempPath = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  // 0600: the bundle is readable by whoever built it until they decide to hand it over.
  // flush: the data reaches the disk before the file is closed, so before it is put in place.
  const stream = createWriteStream(tempPath, { flags: 'wx', mode: 0o600, flush: true });
  await new Promise((resolve, reject) => {
    stream.once('open', resolve);
    stream.once('error', reject);
  }).catch((error) => {
    throw writeError(path, error);
  });
  let state: 'open' | 'released' | 'aborted' = 'open';
  const abort = async () => {
    if (state !== 'open') return;
    state = 'aborted';
    stream.destroy();
    await unlink(tempPath).catch(() => undefined);
  };
  return {
    path,
    tempPath,
    stream,
    async release() {
      if (state === 'aborted') throw new Error('release() after abort()');
      if (state === 'released') return path;
      try {
        await closed(stream);
        await place(tempPath, path, options.replace === true);
        await syncDirectory(dirname(path));
      } catch (error) {
        await abort();
        throw error instanceof CodedError ? error : writeError(path, error);
      }
      state = 'released';
      return path;
    },
    abort,
  };
}

/** Ends the stream and waits until the file is closed (synced first: `flush`). */
async function closed(stream: WriteStream): Promise<void> {
  if (stream.closed) {
    if (stream.errored) throw stream.errored;
    return;
  }
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.once('close', () => (stream.errored ? reject(stream.errored) : resolve()));
    if (!stream.writableEnded) stream.end();
  });
}

/**
 * Puts the finished temporary file at `path`. Without `replace`, link(2)
 * gives it its name only if the name is free (EEXIST otherwise, whatever is
 * there); with it, an existing regular file is renamed over. The temporary
 * name is left for the caller to remove on failure.
 */
async function place(temp: string, path: string, replace: boolean): Promise<void> {
  try {
    await link(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      const refused = await refusalAt(path, replace);
      if (refused) throw refused;
      await rename(temp, path);
      return;
    }
    // A file system without hard links (FAT on a USB stick): claim the name
    // with an exclusive create, then rename the finished file over the claim.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      await claim(temp, path, replace);
      return;
    }
    throw error;
  }
  await unlink(temp);
}

async function claim(temp: string, path: string, replace: boolean): Promise<void> {
  try {
    await (await open(path, 'wx', 0o600)).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const refused = await refusalAt(path, replace);
    if (refused) throw refused;
  }
  await rename(temp, path);
}

/** What lstat finds at `path` now, as a refusal (undefined: may be replaced). */
async function refusalAt(path: string, replace: boolean): Promise<CodedError | undefined> {
  const existing = await lstat(path).catch(() => undefined);
  // Gone again since link() saw it: the rename puts the bundle there.
  if (!existing) return undefined;
  return refusal(path, existingKind(existing), replace);
}

/** Makes the new name durable: without it a power cut can lose the directory entry. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function writeError(path: string, error: unknown, detail?: string): CodedError {
  const errno = error as NodeJS.ErrnoException | undefined;
  return new CodedError(
    agentErrors.BUNDLE_WRITE,
    { path, detail: detail ?? errno?.code ?? errno?.message ?? 'unknown error' },
    error === undefined ? undefined : { cause: error },
  );
}
