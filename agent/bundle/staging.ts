// The staging directory: every file of a bundle is written here first, and
// only ever through the redaction engine. Text goes through one line session
// per file, in batches of whole lines (so a PEM block split over lines is
// still caught); JSON goes through the JSON walker (field names and values).
// Each file's redaction counts are kept for the manifest.
// Once removed, the directory stays removed: files are only ever made inside
// it, never it again, so a collector still running when a stopped or failed
// run removes it cannot bring it back.
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, unlink } from 'node:fs/promises';
import { dirname, join, posix, relative, sep } from 'node:path';
import type { RedactionCounts, Redactor } from '../redaction/index.ts';
import type { StageResult } from './collect/stage-pool.ts';
import type { EmitContent, LineWriter, ReservedFile } from './collect/types.ts';

export interface StagedFile {
  /** Path inside the bundle, '/'-separated. */
  path: string;
  collector: string;
  /** Bytes on disk after redaction (and after truncation, once the budget ran). */
  size: number;
  redactions: RedactionCounts;
  /** SHA-256 of the staged bytes when their writer hashed them (a staging worker); dropped if the file changes. */
  sha256?: string;
  /**
   * The release check's look at the bytes as they were written (a staging
   * worker), with how many runtime literals the run knew then; dropped if
   * the file changes, so that the rescan reads it again.
   */
  checked?: { findings: number; rule?: string; literals: number };
  /**
   * The staging worker's compressed copy of exactly these bytes (in the
   * archive's blocks; collect/stage-worker.ts), with its size and SHA-256;
   * dropped if the file changes, so the archive compresses it itself.
   */
  packed?: { path: string; size: number; sha256: string };
}

/** Where workers put compressed copies, inside the staging directory; no bundle path may start with it. */
const PACKED_DIR = '.packed';

// Lines are gathered into writes of about this size: one syscall per line would dominate.
const BATCH_CHARS = 64 * 1024;

export class Staging {
  readonly dir: string;
  readonly #redactor: Redactor;
  readonly #files = new Map<string, StagedFile>();
  readonly #reserved = new Set<string>();
  #packedCount = 0;

  private constructor(dir: string, redactor: Redactor) {
    this.dir = dir;
    this.#redactor = redactor;
  }

  /**
   * A fresh `bundle-staging-XXXXXX` under `parent` (the run's directory in the
   * data dir, or the temp dir), which must exist: a parent removed by a
   * stopped run is not made again.
   */
  static async create(parent: string, redactor: Redactor): Promise<Staging> {
    return new Staging(await mkdtemp(join(parent, 'bundle-staging-')), redactor);
  }

  /** Files closed so far, by path. Files still being written (or abandoned) are not listed. */
  files(): StagedFile[] {
    return [...this.#files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** The file's absolute path in the staging directory. */
  pathOf(path: string): string {
    return join(this.dir, ...checkPath(path).split('/'));
  }

  /** After the budget cut a file: its hash and its early check no longer hold. */
  resized(path: string, size: number): void {
    const file = this.#files.get(path);
    if (!file) return;
    file.size = size;
    delete file.sha256;
    delete file.checked;
    delete file.packed;
  }

  /**
   * Reserves `path` for a file that a staging worker (collect/stage-pool.ts)
   * writes at `target` through this run's engine; `commit` registers it with
   * the worker's size, hash, redaction counts and check. Like `open`, a
   * collector that was stopped can no longer add it.
   */
  async reserve(collector: string, path: string, isOpen: () => boolean = () => true): Promise<ReservedFile> {
    const bundlePath = checkPath(path);
    if (this.#reserved.has(bundlePath)) throw new Error(`bundle path ${bundlePath} is written twice`);
    this.#reserved.add(bundlePath);
    const target = this.pathOf(bundlePath);
    await this.#makeDir(dirname(target));
    const packTarget = join(this.dir, PACKED_DIR, String(this.#packedCount++));
    await this.#makeDir(dirname(packTarget));
    let done = false;
    const abort = async () => {
      if (done) return;
      done = true;
      await unlink(target).catch(() => undefined);
      await unlink(packTarget).catch(() => undefined);
    };
    return {
      target,
      packTarget,
      commit: async (result: StageResult) => {
        if (done) throw new Error(`bundle file ${bundlePath} is already closed`);
        if (!isOpen()) {
          await abort();
          throw new Error(`the ${collector} collector was stopped; ${bundlePath} is dropped`);
        }
        done = true;
        const packed = result.packed && { path: packTarget, ...result.packed };
        this.#files.set(bundlePath, {
          path: bundlePath,
          collector,
          size: result.size,
          redactions: this.#redactor.record(result.tally),
          sha256: result.sha256,
          ...(result.check && { checked: result.check }),
          ...(packed && { packed }),
        });
      },
      abort,
    };
  }

  /**
   * A line writer for `path`. `isOpen` is asked before every write: once it
   * says no (the collector timed out) writes fail and the file is dropped,
   * so an abandoned collector can never add to a bundle being sealed.
   */
  open(collector: string, path: string, isOpen: () => boolean = () => true): LineWriter {
    const bundlePath = checkPath(path);
    if (this.#reserved.has(bundlePath)) throw new Error(`bundle path ${bundlePath} is written twice`);
    this.#reserved.add(bundlePath);
    const target = this.pathOf(bundlePath);
    const session = this.#redactor.lineSession();
    let stream: ReturnType<typeof createWriteStream> | undefined;
    let failure: Error | undefined;
    let pending = '';
    let size = 0;
    let done = false;

    const ensure = async () => {
      if (stream) return stream;
      await this.#makeDir(dirname(target));
      stream = createWriteStream(target, { flags: 'wx' });
      stream.on('error', (error) => {
        failure ??= error;
      });
      return stream;
    };
    const flush = async () => {
      const out = await ensure();
      if (failure) throw failure;
      if (pending === '') return;
      // Redacted a batch at a time: the engine's passes run once per batch, not once per line.
      const chunk = session.lines(pending);
      pending = '';
      size += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await either(out, 'drain');
      if (failure) throw failure;
    };
    const check = () => {
      if (done) throw new Error(`bundle file ${bundlePath} is already closed`);
      if (!isOpen()) throw new Error(`the ${collector} collector was stopped; ${bundlePath} is dropped`);
    };
    const finish = async (): Promise<void> => {
      if (!stream) return;
      const out = stream;
      out.end();
      if (!out.closed) await either(out, 'close');
      if (failure) throw failure;
    };
    const writer: LineWriter = {
      write: async (line) => {
        check();
        pending += `${line.replace(/\r?\n/g, ' ')}\n`;
        if (pending.length >= BATCH_CHARS) await flush();
      },
      close: async () => {
        check();
        try {
          await flush();
          await finish();
        } catch (error) {
          await writer.abort();
          throw error;
        }
        done = true;
        if (!isOpen()) {
          await unlink(target).catch(() => undefined);
          throw new Error(`the ${collector} collector was stopped; ${bundlePath} is dropped`);
        }
        this.#files.set(bundlePath, { path: bundlePath, collector, size, redactions: session.counts });
      },
      abort: async () => {
        if (done) return;
        done = true;
        stream?.destroy();
        await unlink(target).catch(() => undefined);
      },
    };
    return writer;
  }

  /** Writes a whole file: text and lines through the line session, JSON through the JSON walker. */
  async emit(collector: string, path: string, content: EmitContent, isOpen?: () => boolean): Promise<void> {
    const writer = this.open(collector, path, isOpen);
    let jsonCounts: RedactionCounts | undefined;
    try {
      if (typeof content === 'string') {
        const lines = content.split('\n');
        if (content.endsWith('\n')) lines.pop();
        for (const line of lines) await writer.write(line);
      } else if (isJson(content)) {
        // The walker masks by field name (password, token, ...) and by value.
        const { value, counts } = this.#redactor.redactJson(content.json);
        jsonCounts = counts;
        // Line by line again so that the file's counts include the text rules' second look.
        for (const line of (JSON.stringify(value, null, 2) ?? 'null').split('\n')) await writer.write(line);
      } else {
        for await (const line of content) await writer.write(line);
      }
    } catch (error) {
      await writer.abort();
      throw error;
    }
    await writer.close();
    const file = this.#files.get(checkPath(path));
    if (file && jsonCounts) file.redactions = addCounts(file.redactions, jsonCounts);
  }

  /** Removes the directory and everything in it; nothing can be added afterwards. */
  async remove(): Promise<void> {
    // Retried: a worker may still create a file in a directory as it is emptied (ENOTEMPTY).
    await rm(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }

  /**
   * Makes `dir` and the directories between it and the staging directory,
   * but not the staging directory itself: once removed, it fails (ENOENT).
   */
  async #makeDir(dir: string): Promise<void> {
    let path = this.dir;
    for (const part of relative(this.dir, dir).split(sep)) {
      if (part === '') continue;
      path = join(path, part);
      await mkdir(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
  }
}

export function addCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  const sum = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [key, value] of Object.entries(y)) out[key] = (out[key] ?? 0) + value;
    return out;
  };
  return {
    total: a.total + b.total,
    by_category: sum(a.by_category, b.by_category) as RedactionCounts['by_category'],
    by_rule: sum(a.by_rule, b.by_rule),
  };
}

/** Resolves on `event` or on an error (recorded by the stream's own error handler), leaving no listener behind. */
function either(stream: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off(event, done);
      stream.off('error', done);
      resolve();
    };
    stream.once(event, done);
    stream.once('error', done);
  });
}

function isJson(content: EmitContent): content is { readonly json: unknown } {
  return typeof content === 'object' && content !== null && 'json' in content;
}

/** A relative '/'-path with no '..' or empty parts: collectors build paths from container names. */
function checkPath(path: string): string {
  const normal = posix.normalize(path);
  const first = normal.split('/')[0];
  if (
    normal.startsWith('/') ||
    normal.startsWith('..') ||
    normal === '.' ||
    normal.includes('\0') ||
    first === PACKED_DIR
  ) {
    throw new Error(`not a path inside a bundle: ${JSON.stringify(path)}`);
  }
  return normal;
}

/** A container or file name made safe as one path segment. */
export function safeName(name: string): string {
  const safe = name.replace(/^\/+/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe;
}
