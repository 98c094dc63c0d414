// One tailed path and the files that have been at it. Rotation cases:
// - rename + create, or delete + create: the path now names another inode. The
//   old file is finished through the descriptor still open on it, to its end
//   plus a grace period for late writers, and then the new file is read.
// - copytruncate: the file shrank below what was read (or its first line
//   changed). What was written between the last read and the copy is in the
//   copy (name.1), which has the same fingerprint: it is read from there, then
//   the truncated file is read from 0 as a new identity.
// - after downtime: rotated siblings with unread lines (plain or .gz) are read
//   first, oldest first; siblings already read are recognised by identity.
import { type FileHandle, open, stat } from 'node:fs/promises';
import { type CatchupContext, findCopy, unreadSiblings } from './catchup.ts';
import type { FileCheckpoint } from './checkpoint.ts';
import { fpOf } from './checkpoint.ts';
import { fingerprintOf, matchesFingerprint, readHead } from './identity.ts';
import { type ChunkReader, GzipReader, type LineRecord, LineSplitter, PlainReader } from './reader.ts';

export interface TrackerContext extends CatchupContext {
  readonly maxLineBytes: number;
  readonly graceMs: number;
  /** Which cursor reads an identity: one at a time, so offsets never interleave. */
  readonly claims: Map<string, Cursor>;
  /** Bytes that were gone before they could be read. */
  onGap(path: string, bytes: number, detail: string): void;
}

/** Reading progress of one identity. */
export interface Cursor {
  readonly entry: FileCheckpoint;
  readonly path: string;
  readonly splitter: LineSplitter;
  /** End of the last line handed out, and whether a cut line is being skipped there. */
  readEnd: number;
  readSkipping: boolean;
  /** No more lines will come from this identity. */
  finished: boolean;
}

export interface ReadResult {
  cursor: Cursor;
  records: LineRecord[];
}

interface OpenFile {
  cursor: Cursor;
  reader: ChunkReader;
  dev: number;
  ino: number;
  eof: boolean;
  /** Rotated files are finished once at their end after this time. */
  lingerUntil: number;
  gzip: boolean;
  /** A read failed (a .gz still being written): try again at lingerUntil. */
  failed: boolean;
}

export class FileTracker {
  readonly path: string;
  readonly #ctx: TrackerContext;
  #live: OpenFile | undefined;
  /** Rotated files still to finish, read before the live file, oldest first. */
  #rotated: OpenFile[] = [];
  #dirty = true;
  #lastSize = 0;
  /** A file may have been at the path without being opened here: look at the siblings again. */
  #missed = false;

  constructor(path: string, ctx: TrackerContext) {
    this.path = path;
    this.#ctx = ctx;
  }

  markDirty(): void {
    this.#dirty = true;
  }

  get live(): Cursor | undefined {
    return this.#live?.cursor;
  }

  get size(): number {
    return this.#lastSize;
  }

  /** Catch-up: rotated siblings with unread lines first (oldest first), then the live file. */
  async start(): Promise<void> {
    await this.#catchUp();
    await this.refresh();
  }

  /** Queues the rotated siblings that hold unread lines (those another cursor reads are left to it). */
  async #catchUp(): Promise<void> {
    for (const sibling of await unreadSiblings(this.path, this.#ctx)) {
      const entry =
        sibling.entry ?? this.#ctx.book.register(sibling.path, sibling.dev, sibling.ino, sibling.fp, this.#ctx.now());
      if (this.#ctx.claims.has(entry.key)) continue;
      try {
        const reader = sibling.gzip
          ? new GzipReader(sibling.path)
          : new PlainReader(await open(sibling.path, 'r'), this.#ctx.chunkBytes);
        const file = this.#openFile(entry, sibling.path, reader, sibling.dev, sibling.ino, sibling.gzip);
        file.lingerUntil = this.#ctx.now() + this.#ctx.graceMs;
        this.#rotated.push(file);
      } catch (error) {
        this.#ctx.onError(sibling.path, error);
      }
    }
  }

  /** Looks at the path again: appeared, rotated, truncated, or just grown. */
  async refresh(): Promise<void> {
    this.#dirty = false;
    for (const file of this.#rotated) file.eof = false;
    const now = this.#ctx.now();
    const info = await stat(this.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') this.#ctx.onError(this.path, error);
      return undefined;
    });
    const live = this.#live;
    if (live && (!info || info.dev !== live.dev || info.ino !== live.ino)) {
      // Renamed or deleted: finish it through the descriptor we hold.
      live.lingerUntil = now + this.#ctx.graceMs;
      live.eof = false;
      this.#rotated.push(live);
      this.#live = undefined;
      // Rotated twice since the last look? The file in between is a sibling now.
      this.#missed = true;
    } else if (live && info) {
      live.eof = false;
      if (info.size < live.cursor.splitter.position) await this.#truncated(live);
      else this.#lastSize = info.size;
    }
    if (!this.#live && info) await this.#openLive(info.dev, info.ino);
    if (this.#missed) {
      this.#missed = false;
      await this.#catchUp();
    }
  }

  /** The next lines: rotated files first, then the live file; undefined when none are ready. */
  async read(): Promise<ReadResult | undefined> {
    if (this.#dirty) await this.refresh();
    const now = this.#ctx.now();
    for (const file of this.#live ? [...this.#rotated, this.#live] : [...this.#rotated]) {
      const rotated = file !== this.#live;
      if (file.failed && now >= file.lingerUntil) {
        file.failed = false;
        file.eof = false;
      }
      while (!file.eof) {
        if (!rotated && !(await this.#unchanged(file))) {
          await this.#truncated(file);
          await this.refresh();
          return this.read();
        }
        let chunk: Buffer | null;
        try {
          chunk = await file.reader.read(file.cursor.splitter.position);
        } catch (error) {
          this.#ctx.onError(file.cursor.path, error);
          if (rotated) await this.#retryLater(file);
          file.eof = true;
          break;
        }
        if (chunk === null) {
          file.eof = true;
          break;
        }
        if (rotated) file.lingerUntil = this.#ctx.now() + (file.gzip ? 0 : this.#ctx.graceMs);
        const records: LineRecord[] = [];
        file.cursor.splitter.push(chunk, records);
        if (records.length > 0) return { cursor: file.cursor, records };
      }
      if (rotated && !file.failed && (file.gzip || this.#ctx.now() >= file.lingerUntil)) return this.#finish(file);
      // A rotated file in its grace period does not hold up the live one.
    }
    return undefined;
  }

  /** When a rotated file's grace period ends (the source sets a timer for it). */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const file of this.#rotated) if (next === undefined || file.lingerUntil < next) next = file.lingerUntil;
    return next;
  }

  async close(): Promise<void> {
    for (const file of [...this.#rotated, ...(this.#live ? [this.#live] : [])]) {
      this.#release(file.cursor);
      await file.reader.close();
    }
    this.#rotated = [];
    this.#live = undefined;
  }

  /**
   * Whether the live file still holds what was read from it. Truncated and
   * refilled past our offset (copytruncate under load) shows only in its
   * first line, so that is compared before every chunk: 1 KiB per 256 KiB.
   */
  async #unchanged(live: OpenFile): Promise<boolean> {
    if (live.cursor.splitter.position === 0) return true;
    const head = await readHead((live.reader as PlainReader).handle);
    return matchesFingerprint(head, fpOf(live.cursor.entry));
  }

  async #finish(file: OpenFile): Promise<ReadResult> {
    const records: LineRecord[] = [];
    file.cursor.splitter.finish(records);
    file.cursor.finished = true;
    this.#rotated = this.#rotated.filter((f) => f !== file);
    // The claim stays until the source has committed the final offset
    // (releaseClaim): a re-open before that would resume too early.
    await file.reader.close();
    return { cursor: file.cursor, records };
  }

  /** A .gz still being written ends early: read it again from the start later. */
  async #retryLater(file: OpenFile): Promise<void> {
    await file.reader.close();
    if (file.reader instanceof GzipReader) file.reader = new GzipReader(file.reader.path);
    file.failed = true;
    file.lingerUntil = this.#ctx.now() + Math.max(this.#ctx.graceMs, 1000);
  }

  async #truncated(live: OpenFile): Promise<void> {
    const cursor = live.cursor;
    const position = cursor.splitter.position;
    const copy = await findCopy(this.path, cursor.entry, position, this.#ctx);
    // The descriptor on the truncated file is not needed for the old identity any more.
    await live.reader.close();
    if (copy) {
      live.reader = copy.reader;
      live.dev = copy.dev;
      live.ino = copy.ino;
      live.gzip = copy.gzip;
    } else {
      live.reader = { read: async () => null, close: async () => undefined };
      if (this.#lastSize > position) {
        this.#ctx.onGap(this.path, this.#lastSize - position, 'truncated (copytruncate) and no copy found beside it');
      }
    }
    live.lingerUntil = this.#ctx.now();
    this.#rotated.push(live);
    this.#live = undefined;
    this.#lastSize = 0;
  }

  /** Opens the file at the path; `dev`/`ino` are what stat saw there a moment ago. */
  async #openLive(dev: number, ino: number): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(this.path, 'r');
      const info = await handle.stat();
      // Rotated between the stat and the open: the file stat saw is a sibling now.
      if (info.dev !== dev || info.ino !== ino) this.#missed = true;
      const head = await readHead(handle);
      const fp = fingerprintOf(head);
      // No complete first line yet: nothing to read either; look again later.
      if (!fp) {
        this.#ctx.onError(this.path, undefined);
        await handle.close();
        return;
      }
      let entry = this.#ctx.book.findByInode(info.dev, info.ino, head);
      if (entry && this.#ctx.claims.has(entry.key)) {
        await handle.close();
        return;
      }
      // Shorter than what was read before, same first line: rewritten while we were away.
      if (entry && entry.offset > info.size) this.#ctx.book.commit(entry.key, 0, false, false, this.#ctx.now());
      if (!entry) {
        entry = this.#ctx.book.register(this.path, info.dev, info.ino, fp, this.#ctx.now());
        // A new file at the path: the one before it may have been rotated
        // before this tracker ever opened it (it is a sibling now).
        this.#missed = true;
      }
      entry.path = this.path;
      entry.seenAt = this.#ctx.now();
      this.#live = this.#openFile(entry, this.path, new PlainReader(handle, this.#ctx.chunkBytes), info.dev, info.ino);
      this.#lastSize = info.size;
      this.#ctx.onError(this.path, undefined);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.#missed = true;
      else this.#ctx.onError(this.path, error);
    }
  }

  #openFile(
    entry: FileCheckpoint,
    path: string,
    reader: ChunkReader,
    dev: number,
    ino: number,
    gzip = false,
  ): OpenFile {
    const cursor: Cursor = {
      entry,
      path,
      splitter: new LineSplitter(this.#ctx.maxLineBytes, entry.offset, entry.skipping),
      readEnd: entry.offset,
      readSkipping: entry.skipping,
      finished: false,
    };
    this.#ctx.claims.set(entry.key, cursor);
    return { cursor, reader, dev, ino, eof: false, lingerUntil: 0, gzip, failed: false };
  }

  #release(cursor: Cursor): void {
    if (this.#ctx.claims.get(cursor.entry.key) === cursor) this.#ctx.claims.delete(cursor.entry.key);
  }
}
