// The `file` source: tails syslog files into the pipeline. One loop reads
// from every tracked path, parses (and merges) lines, writes a batch, and
// only once the writer acknowledged it advances the checkpoints. While a
// write is pending nothing is read: that is the backpressure.
import { CodedError, isCodedError } from '../../../core/coded-error.ts';
import { parseBytes } from '../../../core/units.ts';
import { agentErrors } from '../../errors.ts';
import type { LineStage } from '../../pipeline/line-stage.ts';
import type { Component } from '../../pipeline/types.ts';
import { FileCheckpoints } from './checkpoint.ts';
import { Discovery } from './discovery.ts';
import { type FileSourceDeps, type FileStatus, type ResolvedOptions, withDefaults } from './options.ts';
import { fileLineStage } from './stage.ts';
import { type Cursor, FileTracker, type LostBytes, type ReadResult, type TrackerContext } from './tracker.ts';

export type { FileSourceConfig, FileSourceDeps, FileSourceOptions, FileStatus } from './options.ts';

const COMPONENT = 'file';

export class FileSource implements Component {
  readonly name = COMPONENT;
  readonly #deps: FileSourceDeps;
  readonly #book: FileCheckpoints;
  readonly #ctx: TrackerContext;
  readonly #discovery: Discovery;
  readonly #trackers = new Map<string, FileTracker>();
  readonly #newPaths = new Set<string>();
  /** Parse, multiline merge and encode: the stage `ship` and the syslog listener share. */
  readonly #stage: LineStage<Cursor>;
  readonly #touched = new Set<Cursor>();
  readonly #errors = new Map<string, CodedError>();
  /** Per tailed path: bytes lost before they were read, and files found rewritten in place. */
  readonly #losses = new Map<string, { gaps: number; bytes: number; rewritten: number }>();
  readonly #abort = new AbortController();
  readonly #opts: ResolvedOptions;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #wake: PromiseWithResolvers<void> | undefined;
  #woken = false;
  #poll: NodeJS.Timeout | undefined;
  #prunedAt = 0;

  constructor(deps: FileSourceDeps) {
    this.#deps = deps;
    const { config } = deps;
    this.#opts = withDefaults(deps.options);
    this.#stage = fileLineStage(deps.hostName, config);
    this.#book = new FileCheckpoints(deps.state, {
      name: this.#opts.stateName,
      intervalMs: this.#opts.checkpointIntervalMs,
      onError: (error) => this.#report('(checkpoint)', error),
    });
    this.#ctx = {
      book: this.#book,
      maxLineBytes: parseBytes(config.max_line_bytes),
      chunkBytes: this.#opts.readChunkBytes,
      readGzip: config.read_rotated_gz,
      graceMs: this.#opts.rotateGraceMs,
      startedAt: Date.now(),
      claims: new Map(),
      now: () => Date.now(),
      onError: (path, error) => this.#report(path, error),
      onGap: (gap) => this.#gap(gap),
      onRewritten: (path) => {
        this.#lossesOf(path).rewritten++;
      },
    };
    this.#discovery = new Discovery({
      patterns: config.paths,
      exclude: config.exclude,
      rescanIntervalMs: this.#opts.rescanIntervalMs,
      onEvent: (path) => this.#changed(path),
      onPaths: (paths) => {
        for (const path of paths) if (!this.#trackers.has(path)) this.#newPaths.add(path);
        this.#wakeUp();
      },
      onError: (error) => this.#report('(discovery)', error),
    });
  }

  async start(): Promise<void> {
    if (this.#loop || this.#stopping || !this.#deps.config.enabled) return;
    this.#loop = this.#run().catch((error: unknown) => {
      if (!this.#abort.signal.aborted) this.#report('(file source)', error);
    });
  }

  /** Stops reading, writes what multiline merge still holds, saves the offsets. Idempotent. */
  stop(deadlineMs = 10_000): Promise<void> {
    this.#stopping ??= this.#stop(deadlineMs);
    return this.#stopping;
  }

  status(): FileStatus[] {
    const files: FileStatus[] = [];
    for (const tracker of this.#trackers.values()) {
      const live = tracker.live;
      const status: FileStatus = { path: tracker.path, size: tracker.size };
      if (live) {
        status.identity = live.entry.key;
        status.offset = live.entry.offset;
        status.read = live.splitter.position;
      }
      const error = this.#errors.get(tracker.path);
      if (error) status.error = error.message;
      const losses = this.#losses.get(tracker.path);
      if (losses) {
        if (losses.gaps > 0) status.lost = { gaps: losses.gaps, bytes_at_least: losses.bytes };
        if (losses.rewritten > 0) status.rewritten = losses.rewritten;
      }
      files.push(status);
    }
    return files;
  }

  async #stop(deadlineMs: number): Promise<void> {
    if (this.#poll) clearInterval(this.#poll);
    const deadline = Promise.withResolvers<void>();
    const timer = setTimeout(() => {
      this.#abort.abort();
      deadline.resolve();
    }, deadlineMs);
    timer.unref();
    this.#wakeUp();
    // A writer that ignores the abort must not hold the stop past its deadline.
    await Promise.race([this.#loop, deadline.promise]);
    try {
      // What multiline merge holds goes out now rather than being re-read later.
      const held: string[] = [];
      this.#stage.flushAll(held);
      if (!this.#abort.signal.aborted) await this.#write(held);
    } catch (error) {
      if (!this.#abort.signal.aborted) this.#report('(file source)', error);
    } finally {
      clearTimeout(timer);
      // Sizes seen but not yet read: a restart counts them if the file is gone by then.
      for (const tracker of this.#trackers.values()) {
        const live = tracker.live;
        if (live) this.#book.noteSize(live.entry.key, live.seenSize);
      }
      await this.#book.flush();
      await this.#discovery.close();
      for (const tracker of this.#trackers.values()) await tracker.close();
    }
  }

  async #run(): Promise<void> {
    await this.#book.load();
    const paths = await this.#discovery.start();
    for (const path of paths) this.#newPaths.add(path);
    await this.#addTrackers();
    this.#prune();
    this.#poll = setInterval(() => {
      for (const tracker of this.#trackers.values()) tracker.markDirty();
      this.#wakeUp();
    }, this.#opts.pollIntervalMs);
    this.#poll.unref();
    while (!this.#stopping) {
      // Hourly: identities of files long gone are forgotten.
      if (Date.now() - this.#prunedAt > 3_600_000) this.#prune();
      await this.#addTrackers();
      const events = await this.#collect();
      await this.#write(events);
      if (events.length === 0) await this.#sleep();
    }
  }

  #prune(): void {
    this.#prunedAt = Date.now();
    this.#book.prune(this.#prunedAt - this.#opts.forgetAfterMs, new Set(this.#ctx.claims.keys()));
  }

  async #addTrackers(): Promise<void> {
    for (const path of this.#newPaths) {
      this.#newPaths.delete(path);
      if (this.#trackers.has(path) || this.#stopping) continue;
      const tracker = new FileTracker(path, this.#ctx);
      this.#trackers.set(path, tracker);
      await tracker.start();
    }
    this.#deps.telemetry.gauge(COMPONENT, 'files_tailed', this.#trackers.size);
  }

  /** Reads until a batch is full or nothing more is ready. */
  async #collect(): Promise<string[]> {
    const events: string[] = [];
    let bytes = 0;
    let progressed = true;
    while (progressed && !this.#stopping && events.length < this.#opts.batchEvents && bytes < this.#opts.batchBytes) {
      progressed = false;
      for (const tracker of this.#trackers.values()) {
        let result: ReadResult | undefined;
        try {
          result = await tracker.read();
        } catch (error) {
          // One path failing (EIO, a vanished mount) must not stop the others.
          this.#report(tracker.path, error);
        }
        if (!result) continue;
        progressed = true;
        bytes += this.#process(result, events);
        if (events.length >= this.#opts.batchEvents || bytes >= this.#opts.batchBytes) break;
      }
    }
    this.#stage.flushDue(Date.now(), events);
    return events;
  }

  #process({ cursor, records }: ReadResult, events: string[]): number {
    const now = Date.now();
    let bytes = 0;
    for (const record of records) {
      bytes += record.end - record.start;
      this.#stage.add(cursor, record, now, events);
    }
    const last = records.at(-1);
    if (last) {
      cursor.readEnd = last.end;
      cursor.readSkipping = last.skipping;
    }
    this.#touched.add(cursor);
    this.#deps.telemetry.eventsReceived(COMPONENT, records.length, bytes);
    return bytes;
  }

  /**
   * Writes a batch; once acknowledged, moves each touched identity's
   * checkpoint up to its first line still held by multiline merge. With no
   * events it only commits (a rotated file finished without a last line).
   */
  async #write(events: string[]): Promise<void> {
    if (events.length > 0) await this.#deps.writer.writeRecords(events, this.#abort.signal);
    if (this.#touched.size === 0) return;
    const held = this.#stage.heldStarts();
    const now = Date.now();
    for (const cursor of this.#touched) {
      // What was read last (at or past the offset), for a restart to check the file still holds it.
      const seen = { tail: cursor.tail.mark(), size: cursor.seenSize };
      const start = held.get(cursor);
      if (start !== undefined) {
        this.#book.commit(cursor.entry.key, start, false, false, now, seen);
        continue;
      }
      this.#book.commit(cursor.entry.key, cursor.readEnd, cursor.readSkipping, cursor.finished, now, seen);
      this.#touched.delete(cursor);
      // A finished file's identity may now be opened again (its copy, a
      // glob that also matches the rotated name), from the committed end.
      if (cursor.finished && this.#ctx.claims.get(cursor.entry.key) === cursor) {
        this.#ctx.claims.delete(cursor.entry.key);
      }
    }
  }

  async #sleep(): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return;
    }
    let deadline = this.#stage.nextDeadline() ?? Number.POSITIVE_INFINITY;
    for (const tracker of this.#trackers.values()) deadline = Math.min(deadline, tracker.nextDeadline() ?? deadline);
    this.#wake = Promise.withResolvers<void>();
    const timer = Number.isFinite(deadline)
      ? setTimeout(() => this.#wakeUp(), Math.max(0, deadline - Date.now()) + 5)
      : undefined;
    await this.#wake.promise;
    if (timer) clearTimeout(timer);
    this.#woken = false;
  }

  #wakeUp(): void {
    this.#woken = true;
    this.#wake?.resolve();
  }

  #changed(path: string): void {
    // A rename or a new sibling shows up as an event on another name in the
    // same directory: every tracker there looks again.
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash);
    for (const tracker of this.#trackers.values()) {
      if (tracker.path === path || tracker.path.slice(0, tracker.path.lastIndexOf('/')) === dir) tracker.markDirty();
    }
    this.#wakeUp();
  }

  /** Counted per path and in telemetry, and told the operator with the file and the bytes. */
  #gap(gap: LostBytes): void {
    const losses = this.#lossesOf(gap.path);
    losses.gaps++;
    losses.bytes += gap.bytes;
    this.#deps.telemetry.eventsDropped(COMPONENT, 'rotated_away', 1, false);
    this.#deps.telemetry.bytesDropped?.(COMPONENT, 'rotated_away', gap.bytes);
    const details = { path: gap.path, file: gap.file, bytes: gap.bytes, offset: gap.offset, detail: gap.detail };
    this.#deps.options?.onError?.(
      new CodedError(gap.whileStopped ? agentErrors.FILE_LOST_WHILE_STOPPED : agentErrors.FILE_ROTATED_AWAY, details),
    );
  }

  #lossesOf(path: string): { gaps: number; bytes: number; rewritten: number } {
    let losses = this.#losses.get(path);
    if (!losses) {
      losses = { gaps: 0, bytes: 0, rewritten: 0 };
      this.#losses.set(path, losses);
    }
    return losses;
  }

  #report(path: string, error: unknown): void {
    if (error === undefined) {
      this.#errors.delete(path);
      return;
    }
    const coded = isCodedError(error)
      ? error
      : new CodedError(agentErrors.FILE_UNREADABLE, { path, detail: messageOf(error) }, { cause: error });
    if (this.#errors.get(path)?.message === coded.message) return;
    this.#errors.set(path, coded);
    this.#deps.options?.onError?.(coded);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
