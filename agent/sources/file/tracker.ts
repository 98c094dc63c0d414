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
//   Identities the checkpoints name that are gone unread are counted (gaps.ts).
// - truncated and refilled in place, even with the same first line: the bytes
//   just before the read position no longer match (tail.ts), before every
//   read and at start; the new content is a new generation of the identity,
//   read from its start under ids of its own.
import { type FileHandle, open, stat } from 'node:fs/promises';
import { type CatchupContext, findCopy, unreadSiblings } from './catchup.ts';
import type { FileCheckpoint } from './checkpoint.ts';
import { fpOf } from './checkpoint.ts';
import { goneGap, lostIdentities } from './gaps.ts';
import { fingerprintOf, matchesFingerprint, readHead } from './identity.ts';
import { type ChunkReader, GzipReader, type LineRecord, LineSplitter, PlainReader } from './reader.ts';
import { checkTail, readAt, TAIL_BYTES, TailBytes } from './tail.ts';

export interface TrackerContext extends CatchupContext {
  readonly maxLineBytes: number;
  readonly graceMs: number;
  /** Which cursor reads an identity: one at a time, so offsets never interleave. */
  readonly claims: Map<string, Cursor>;
  /** Bytes that were gone before they could be read. */
  onGap(gap: LostBytes): void;
  /** A file was found rewritten in place: it is read again from its start as a new generation. */
  onRewritten(path: string): void;
}

/** A gap, as the source reports it. */
export interface LostBytes {
  /** The tailed path it belongs to. */
  path: string;
  /** The file the lost bytes were in, as last seen. */
  file: string;
  /** Bytes known to be lost: at least these. */
  bytes: number;
  /** Lost while the agent was not running (found at start), or while it ran. */
  whileStopped: boolean;
  offset: number;
  detail: string;
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
  /** The last bytes read, ending at the splitter's position. */
  readonly tail: TailBytes;
  /** The file's size as last seen while it still held what was read. */
  seenSize: number;
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
  /** While starting: identities found on disk, and whether every look succeeded. */
  #matched: Set<string> | undefined;
  #lookFailed = false;

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

  /**
   * Catch-up: rotated siblings with unread lines first (oldest first), then
   * the live file; then what the checkpoints name that is gone is counted.
   */
  async start(): Promise<void> {
    this.#matched = new Set();
    this.#lookFailed = false;
    try {
      await this.#catchUp();
      await this.refresh();
      // A file that could not be looked at may still be there: count nothing rather than too much.
      if (!this.#lookFailed) await this.#countLost(this.#matched);
    } finally {
      this.#matched = undefined;
    }
  }

  /** Queues the rotated siblings that hold unread lines (those another cursor reads are left to it). */
  async #catchUp(): Promise<void> {
    const onError = this.#ctx.onError;
    const ctx: CatchupContext = {
      ...this.#ctx,
      onError: (path, error) => {
        this.#lookFailed = true;
        onError(path, error);
      },
    };
    for (const sibling of await unreadSiblings(this.path, ctx, this.#matched)) {
      const entry =
        sibling.entry ??
        this.#ctx.book.registerNew(sibling.path, sibling.dev, sibling.ino, sibling.fp, this.#ctx.now());
      if (this.#ctx.claims.has(entry.key)) continue;
      try {
        let reader: ChunkReader;
        let handle: FileHandle | undefined;
        if (sibling.gzip) reader = new GzipReader(sibling.path);
        else {
          handle = await open(sibling.path, 'r');
          reader = new PlainReader(handle, this.#ctx.chunkBytes);
        }
        const file = this.#openFile(entry, sibling.path, reader, sibling.dev, sibling.ino, sibling.gzip);
        if (handle) await primeTail(file.cursor, handle);
        file.lingerUntil = this.#ctx.now() + this.#ctx.graceMs;
        this.#rotated.push(file);
      } catch (error) {
        this.#lookFailed = true;
        this.#ctx.onError(sibling.path, error);
      }
    }
  }

  /** Identities of this path that are gone unread: counted once, then never read or counted again. */
  async #countLost(matched: ReadonlySet<string>): Promise<void> {
    const claimed = new Set(this.#ctx.claims.keys());
    for (const gap of await lostIdentities(this.path, this.#ctx.book, matched, claimed, this.#ctx.readGzip)) {
      this.#ctx.book.retire(gap.entry.key, this.#ctx.now());
      this.#ctx.onGap({
        path: this.path,
        file: gap.file,
        bytes: gap.bytes,
        whileStopped: true,
        offset: gap.entry.offset,
        detail: gap.detail,
      });
    }
  }

  /** Looks at the path again: appeared, rotated, truncated, or just grown. */
  async refresh(): Promise<void> {
    this.#dirty = false;
    for (const file of this.#rotated) file.eof = false;
    const now = this.#ctx.now();
    const info = await stat(this.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') {
        this.#lookFailed = true;
        this.#ctx.onError(this.path, error);
      }
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
        if (!rotated) {
          if (!(await this.#unchanged(file))) {
            await this.#truncated(file);
            await this.refresh();
            return this.read();
          }
          // What the last look saw is this file's, not a successor's: it counts if the file goes.
          this.#sawSize(file.cursor, this.#lastSize);
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
        const cursor = file.cursor;
        cursor.splitter.push(chunk, records);
        cursor.tail.push(chunk, cursor.splitter.position);
        if (cursor.splitter.position > cursor.seenSize) cursor.seenSize = cursor.splitter.position;
        if (records.length > 0) return { cursor, records };
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
   * first line or, when that line is the same again, in the bytes just
   * before the read position: both are compared before every chunk (2 KiB
   * read per 256 KiB, and per look at an idle file).
   */
  async #unchanged(live: OpenFile): Promise<boolean> {
    if (live.cursor.splitter.position === 0) return true;
    const handle = (live.reader as PlainReader).handle;
    const head = await readHead(handle);
    return matchesFingerprint(head, fpOf(live.cursor.entry)) && (await live.cursor.tail.heldBy(handle));
  }

  /** The file was seen at `size` while it still held what was read: saved, so a loss can be counted. */
  #sawSize(cursor: Cursor, size: number): void {
    if (size <= cursor.seenSize) return;
    cursor.seenSize = size;
    this.#ctx.book.noteSize(cursor.entry.key, size);
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
    const copy = await findCopy(this.path, cursor.entry, position, cursor.tail, this.#ctx);
    // The descriptor on the truncated file is not needed for the old identity any more.
    await live.reader.close();
    if (copy) {
      live.reader = copy.reader;
      live.dev = copy.dev;
      live.ino = copy.ino;
      live.gzip = copy.gzip;
    } else {
      live.reader = { read: async () => null, close: async () => undefined };
      // Only a size seen while the file still held what was read is the old content's.
      if (cursor.seenSize > position) {
        this.#ctx.onGap({
          path: this.path,
          file: cursor.path,
          bytes: cursor.seenSize - position,
          whileStopped: false,
          offset: position,
          detail: 'truncated or rewritten in place, and no copy of it found beside it',
        });
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
      if (entry && (await this.#holds(entry, handle, info.size))) {
        this.#matched?.add(entry.key);
        if (this.#ctx.claims.has(entry.key)) {
          await handle.close();
          return;
        }
      } else if (entry) {
        // Same inode and first line, other content: truncated and refilled in place.
        this.#rewritten(entry);
        entry = undefined;
      }
      if (!entry) {
        entry = this.#ctx.book.registerNew(this.path, info.dev, info.ino, fp, this.#ctx.now());
        this.#matched?.add(entry.key);
        // A new file at the path: the one before it may have been rotated
        // before this tracker ever opened it (it is a sibling now).
        this.#missed = true;
      }
      entry.path = this.path;
      entry.seenAt = this.#ctx.now();
      this.#live = this.#openFile(entry, this.path, new PlainReader(handle, this.#ctx.chunkBytes), info.dev, info.ino);
      await primeTail(this.#live.cursor, handle);
      this.#lastSize = info.size;
      this.#ctx.onError(this.path, undefined);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') this.#missed = true;
      else {
        this.#lookFailed = true;
        this.#ctx.onError(this.path, error);
      }
    }
  }

  /**
   * Whether the file behind `handle` still holds what `entry` names: the
   * bytes just before where reading got to (what the cursor reading it holds,
   * else what its checkpoint saved); with neither, only a file shorter than
   * the offset shows a rewrite.
   */
  async #holds(entry: FileCheckpoint, handle: FileHandle, size: number): Promise<boolean> {
    const cursor = this.#ctx.claims.get(entry.key);
    if (cursor && cursor.tail.length > 0) return cursor.tail.heldBy(handle);
    if (entry.tail) return (await checkTail(handle, entry.tail, size)) === 'same';
    return size >= entry.offset;
  }

  /**
   * An identity whose file was rewritten: what it still had unread is lost,
   * unless a cursor is finishing it from a copy (copytruncate) or it was read
   * to its end. At start that is counted with the other losses; later, here.
   */
  #rewritten(entry: FileCheckpoint): void {
    this.#ctx.onRewritten(this.path);
    if (this.#matched || entry.complete || this.#ctx.claims.has(entry.key)) return;
    const gap = goneGap(entry);
    this.#ctx.book.retire(entry.key, this.#ctx.now());
    this.#ctx.onGap({
      path: this.path,
      file: gap.file,
      bytes: gap.bytes,
      whileStopped: false,
      offset: entry.offset,
      detail: 'truncated or rewritten in place before it was read to its end',
    });
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
      tail: new TailBytes(),
      seenSize: Math.max(entry.size ?? 0, entry.offset),
    };
    this.#ctx.claims.set(entry.key, cursor);
    return { cursor, reader, dev, ino, eof: false, lingerUntil: 0, gzip, failed: false };
  }

  #release(cursor: Cursor): void {
    if (this.#ctx.claims.get(cursor.entry.key) === cursor) this.#ctx.claims.delete(cursor.entry.key);
  }
}

/** A cursor resuming inside a plain file starts with the bytes before its offset, as the file holds them. */
async function primeTail(cursor: Cursor, handle: FileHandle): Promise<void> {
  const offset = cursor.splitter.position;
  if (offset === 0) return;
  const length = Math.min(offset, TAIL_BYTES);
  cursor.tail.reset(await readAt(handle, offset - length, length), offset);
}
