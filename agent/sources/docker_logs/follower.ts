// Follows one container's logs: opens GET /containers/{id}/logs with follow
// and timestamps, decodes lines (decoder.ts) and hands events to the writer
// in batches (inflight.ts).
//
// - Backpressure: when the in-flight window is full, or the byte budget that
//   all containers share is used up, the follower stops reading, so the
//   socket fills and dockerd stops sending.
// - Acknowledgement: the checkpoint moves only with the acknowledged prefix.
// - Lifecycle: the stream of a stopped container ends after its last line
//   (drain to EOF); the follower then waits for a start event. A broken
//   stream is reopened from the last line handed on, after a backoff that a
//   reconnect of discovery cuts short.
// - Multiline merge (merging.ts), unless off: lines it holds are neither
//   handed on nor covered by the cursor, and count for the resume point; it
//   flushes on its timer, when the container's stream is drained, and on stop.
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { CodedError } from '../../../core/coded-error.ts';
import type { MultilineConfig } from '../../../schemas/agent-config.ts';
import { agentErrors } from '../../errors.ts';
import type { ByteBudget } from '../../pipeline/byte-budget.ts';
import type { EventWriter, Telemetry } from '../../pipeline/types.ts';
import { backoff, type RetryPacing } from './backoff.ts';
import { type ContainerCheckpoint, Cursor, earlier, SeqCounter, type Skipper, sinceToNs } from './checkpoint.ts';
import { LogDecoder } from './decoder.ts';
import { newestRead, oldestHeld } from './gap.ts';
import { InflightWindow, type WindowLimits } from './inflight.ts';
import { formatSince, type StreamName } from './lines.ts';
import { type LogStream, openLogStream } from './log-stream.ts';
import { ContainerMerge, containerRecord, earliest, type OutLine, singleLine } from './merging.ts';
import type { ContainerMetadata } from './metadata.ts';
import type { NoticeListener } from './notices.ts';
import type { Line } from './partials.ts';

export const COMPONENT = 'docker_logs';

export type FollowerLimits = RetryPacing & WindowLimits;

export const DEFAULT_FOLLOWER_LIMITS: FollowerLimits = {
  // Events and message bytes per write() call.
  batchEvents: 1000,
  batchBytes: 1024 * 1024,
  // write() calls and bytes awaiting acknowledgement before reading pauses
  // (the lines of the socket chunk being parsed still go out).
  inflightBatches: 4,
  inflightBytes: 8 * 1024 * 1024,
  retryBaseMs: 250,
  retryMaxMs: 5000,
};

export interface FollowerOptions {
  readonly id: string;
  readonly docker: Dockerode;
  readonly writer: EventWriter;
  readonly telemetry: Telemetry;
  readonly hostName: string;
  readonly maxLineBytes: number;
  /** Multiline merge settings; absent: every line is its own event. */
  readonly multiline?: MultilineConfig;
  /** The container's current metadata (it changes on rename). */
  readonly metadata: () => ContainerMetadata;
  /** Where a previous run stopped; absent: read the whole log. */
  readonly checkpoint?: ContainerCheckpoint;
  /** The container is known to be running (a stopped one waits for a catch-up slot). */
  readonly running: boolean;
  readonly onCheckpoint: (checkpoint: ContainerCheckpoint) => void;
  readonly notify: NoticeListener;
  /** Bounds how many stopped containers are read at once; resolves with the release. */
  readonly slot?: () => Promise<() => void>;
  readonly limits?: FollowerLimits;
  /** Bytes read from every container and not yet spooled, at most (shared by all followers). */
  readonly budget?: ByteBudget;
}

export type FollowerState = 'idle' | 'connecting' | 'streaming' | 'retrying' | 'stopped' | 'gone' | 'closed';

interface Liveness {
  readonly state: 'running' | 'stopped' | 'gone' | 'unknown';
  /** State.StartedAt: tells one run of the container from the next. */
  readonly startedAt?: string;
}

export class ContainerFollower {
  readonly id: string;
  readonly #o: FollowerOptions;
  readonly #limits: FollowerLimits;
  readonly #stopped = new AbortController();
  readonly #writeAbort = new AbortController();
  readonly #window: InflightWindow;
  #state: FollowerState = 'idle';
  #stopping = false;
  #connection: AbortController | undefined;
  #woken = false;
  #onWake: (() => void) | undefined;
  /** Lines handed to the writer, and lines it acknowledged. */
  #received: Cursor;
  #acked: Cursor;
  /** Resume no later than this until a connection has caught up (see #readOnce). */
  #floor: bigint | undefined;
  #decoder: LogDecoder;
  #seq = new SeqCounter();
  #skipper: Skipper;
  #running: boolean;
  /** A logs stream of this container was opened / read to its end. */
  #opened = false;
  #drained = false;
  /** The container was seen stopped (this run) before the current read was opened. */
  #stoppedRun: string | undefined;
  #loop: Promise<void> | undefined;
  #lines = 0;
  #paused = false;
  #roomWake: AbortController | undefined;
  /** Multiline merge (absent when off): its held lines are neither in #received nor acknowledged. */
  readonly #merge: ContainerMerge | undefined;

  constructor(options: FollowerOptions) {
    this.id = options.id;
    this.#o = options;
    this.#limits = options.limits ?? DEFAULT_FOLLOWER_LIMITS;
    this.#running = options.running;
    this.#received = Cursor.from(options.checkpoint);
    this.#acked = this.#received.clone();
    this.#floor = options.checkpoint ? sinceToNs(options.checkpoint.since) : undefined;
    this.#skipper = this.#received.skipper();
    this.#decoder = new LogDecoder(options.maxLineBytes);
    this.#merge = options.multiline ? new ContainerMerge(options.multiline, () => this.#flushDue()) : undefined;
    this.#window = new InflightWindow(
      options.writer,
      this.#writeAbort.signal,
      this.#limits,
      {
        acknowledged: (cursor) => this.#acknowledged(cursor),
        failed: (error) => this.#failed(error),
        sent: (count, bytes) => options.telemetry.eventsReceived(COMPONENT, count, bytes),
      },
      options.budget,
    );
  }

  get state(): FollowerState {
    return this.#state;
  }

  /** Lines handed to the writer by this follower. */
  get lines(): number {
    return this.#lines;
  }

  /** Resolves when the follower has finished: stopped, or its container is gone and everything was acknowledged. */
  get done(): Promise<void> {
    return this.#loop ?? Promise.resolve();
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** A start event (or a reconnect of discovery): open the stream now instead of waiting. */
  wake(running = true): void {
    if (running) this.#running = true;
    this.#woken = true;
    this.#onWake?.();
  }

  /** Stops reading, waits up to `deadlineMs` for the writer to acknowledge what it holds, then aborts it. */
  async stop(deadlineMs = 5000): Promise<void> {
    this.#stopping = true;
    this.#stopped.abort();
    this.#connection?.abort();
    this.#onWake?.();
    this.#window.release();
    await this.#loop;
    // What multiline merge holds goes out now, then the checkpoint follows its acknowledgement.
    this.#merge?.close();
    this.#flushAll();
    this.#send();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([this.#window.settled(), deadline]);
    clearTimeout(timer);
    this.#writeAbort.abort();
    this.#window.close();
    this.#state = 'closed';
  }

  async #run(): Promise<void> {
    let attempt = 0;
    await this.#lostWhileStopped();
    while (!this.#stopping) {
      let release: (() => void) | undefined;
      let read = false;
      try {
        if (!this.#running && this.#o.slot) release = await this.#o.slot();
        if (this.#stopping) break;
        if (!this.#running && this.#stoppedRun === undefined) {
          // Known stopped before the read opens: the engine reads to the end of the file.
          const before = await this.#liveness();
          if (before.state === 'stopped') this.#stoppedRun = before.startedAt;
        }
        read = await this.#readOnce();
      } catch (error) {
        release?.();
        release = undefined;
        if (this.#stopping) break;
        if (this.#window.failed) {
          this.#rewind();
          await this.#waitForWake(backoff(attempt++, this.#limits));
          continue;
        }
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 404) {
          // Removed. Never read at all: its lines are lost. Read, but not
          // after it stopped: the engine may have ended the stream early.
          if (!this.#opened) this.#unreadable(error);
          else if (!this.#drained || this.#stoppedRun !== undefined) this.#drainedNotice(false);
          break;
        }
        if (status === 501) {
          this.#o.notify({ type: 'logs_unreadable', ...this.#who(), error: driverError(this.#name(), error) });
          this.#state = 'stopped';
          await this.#waitForWake();
          continue;
        }
        const retryInMs = backoff(attempt++, this.#limits);
        this.#state = 'retrying';
        this.#o.notify({ type: 'stream_error', ...this.#who(), error, retryInMs });
        await this.#waitForWake(retryInMs);
        continue;
      } finally {
        release?.();
      }
      if (read) attempt = 0;
      if (this.#window.failed) {
        this.#rewind();
        await this.#waitForWake(backoff(attempt++, this.#limits));
        continue;
      }
      const liveness = await this.#liveness();
      if (this.#stopping) break;
      if (liveness.state === 'running') {
        // Restarted meanwhile; an engine that ends follows early gets a pause.
        this.#stoppedRun = undefined;
        if (!read) await this.#waitForWake(backoff(attempt++, this.#limits));
        continue;
      }
      if (liveness.state === 'unknown') {
        this.#state = 'retrying';
        await this.#waitForWake(backoff(attempt++, this.#limits));
        continue;
      }
      if (liveness.state === 'stopped' && this.#stoppedRun !== liveness.startedAt) {
        // A followed stream can end before the engine sent the last lines
        // (dockerd 20.10 json-file). A read opened after the stop is not
        // followed and goes to the end of the file: do one from here.
        this.#stoppedRun = liveness.startedAt;
        continue;
      }
      // Stopped and read to the end (or removed): a fragment still pending
      // was the container's last output.
      attempt = 0;
      this.#drained = true;
      this.#handOn(this.#decoder.flush());
      this.#flushAll();
      this.#send();
      this.#drainedNotice(liveness.state === 'stopped' || this.#stoppedRun !== undefined);
      if (liveness.state === 'gone') break;
      this.#state = 'stopped';
      this.#running = false;
      await this.#waitForWake();
      this.#stoppedRun = undefined;
    }
    if (!this.#stopping) {
      // The container is gone: a fragment still pending was its last output,
      // and what was handed on still gets acknowledged.
      this.#state = 'gone';
      this.#handOn(this.#decoder.flush());
      this.#flushAll();
      this.#send();
      await this.#window.settled();
      this.#window.close();
    }
  }

  /** One logs request, read to its end. Resolves true when it carried any data. */
  async #readOnce(): Promise<boolean> {
    this.#woken = false;
    this.#state = 'connecting';
    // Early enough for every line not yet handed on, a pending partial line and held lines included.
    const since = earlier(this.#received.resumeAt(this.#notHandedOn(), this.#decoder.streams), this.#floor);
    this.#decoder = new LogDecoder(this.#o.maxLineBytes);
    this.#merge?.reset(this.#received);
    this.#seq = new SeqCounter();
    this.#skipper = this.#received.skipper();
    const connection = new AbortController();
    this.#connection = connection;
    if (this.#stopping) connection.abort();
    const query = {
      follow: true as const,
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(since === undefined ? {} : { since: formatSince(since) }),
    };
    // A plain socket where one reaches the engine (see log-stream.ts), else dockerode,
    // whose followed stream is the http.IncomingMessage.
    const stream: LogStream =
      (await openLogStream(this.#o.docker, this.id, query, connection.signal)) ??
      ((await this.#o.docker
        .getContainer(this.id)
        .logs({ ...query, abortSignal: connection.signal })) as unknown as Readable & LogStream);
    this.#opened = true;
    const openedAt = BigInt(Date.now()) * 1_000_000n;
    this.#state = 'streaming';
    this.#o.notify({
      type: 'container_following',
      ...this.#who(),
      ...(since === undefined ? {} : { since: formatSince(since) }),
    });
    let read = false;
    try {
      for await (const chunk of stream) {
        read = true;
        const { lines, engineMessages } = this.#decoder.push(chunk);
        for (const message of engineMessages) this.#engineMessage(message);
        this.#handOn(lines);
        // A message stamped after the open means every message stored before
        // the open was read: the floor from a checkpoint has done its job.
        if (this.#floor !== undefined && (this.#decoder.newest ?? 0n) >= openedAt) this.#floor = undefined;
        if (this.#window.failed) return read;
        // Full batches went out as they filled; the rest goes when nothing more is buffered.
        if (stream.readableLength === 0) this.#send();
        await this.#room();
        if (this.#stopping) return read;
      }
    } finally {
      stream.destroy();
      if (this.#connection === connection) this.#connection = undefined;
    }
    // A clean end: every message up to now was read.
    this.#handOn(this.#decoder.end());
    this.#floor = undefined;
    this.#send();
    return read;
  }

  #handOn(lines: readonly Line[]): void {
    const merge = this.#merge;
    for (const line of lines) {
      const seq = this.#seq.next(line.stamp);
      if (this.#skipper.skip(line.stream, line.stamp)) continue;
      if (merge) {
        for (const out of merge.push(line, seq, Date.now())) this.#add(out);
      } else {
        this.#received.advance(line.stream, line.stamp);
        this.#add(singleLine(line, seq));
      }
    }
    merge?.arm();
  }

  /** Hands a line (or merged lines) to the window; the cursor then covers it. */
  #add(out: OutLine): void {
    const { first, last } = out;
    if (this.#merge) this.#received.setMark(last.stream, last.mark);
    this.#lines += out.lineCount;
    const event = containerRecord(
      { hostName: this.#o.hostName, containerId: this.id, metadata: this.#o.metadata() },
      out,
    );
    if (this.#window.add(event, first.stream, first.stamp.ns, out.bytes)) this.#send();
  }

  /** The flush timer of multiline merge: what waited flush_after goes out. */
  #flushDue(): void {
    const merge = this.#merge;
    if (!merge || this.#stopping || this.#window.failed) return;
    for (const out of merge.flushDue(Date.now())) this.#add(out);
    this.#send();
    merge.arm();
  }

  #flushAll(): void {
    if (this.#window.failed) return;
    for (const out of this.#merge?.flushAll() ?? []) this.#add(out);
  }

  /**
   * Backpressure: waits while this follower's window is full or the budget
   * all containers share is used up. What the open batch holds is sent
   * first: its bytes come back only once it is spooled. Meanwhile a held
   * trace is not flushed by time (its rest may wait in the socket).
   */
  async #room(): Promise<void> {
    const budget = this.#o.budget;
    if (!this.#window.full && !budget?.exhausted) return;
    if (budget?.exhausted) this.#send();
    this.#merge?.pause();
    this.#paused = true;
    const wake = new AbortController();
    this.#roomWake = wake;
    try {
      await this.#window.room(this.#stopped.signal);
      // A failed write ends the wait too: the follower rewinds, and its held bytes went back already.
      if (!this.#window.failed) await budget?.room(AbortSignal.any([this.#stopped.signal, wake.signal]));
    } finally {
      this.#roomWake = undefined;
      this.#paused = false;
      this.#merge?.resume(Date.now());
    }
  }

  /** Reading is held back (window full or budget used up). */
  get paused(): boolean {
    return this.#paused;
  }

  #send(): void {
    this.#window.send(this.#received.clone());
  }

  #acknowledged(cursor: Cursor): void {
    this.#acked = cursor;
    const since = earlier(
      cursor.resumeAt(this.#notHandedOn(this.#window.unacknowledged()), this.#decoder.streams),
      this.#floor,
    );
    if (since !== undefined) this.#o.onCheckpoint(cursor.checkpoint(since));
  }

  #failed(error: unknown): void {
    if (!this.#stopping) this.#o.notify({ type: 'write_failed', ...this.#who(), error });
    this.#roomWake?.abort();
    this.#connection?.abort();
    this.#onWake?.();
  }

  /** Per stream, the stamp of the first line pending in the decoder or held by multiline merge (or in `also`). */
  #notHandedOn(also: Partial<Record<StreamName, bigint>> = {}): Partial<Record<StreamName, bigint>> {
    return earliest(also, this.#decoder.pending(), this.#merge?.pending() ?? {});
  }

  /** After a rejected write: forget what was handed on after the last acknowledgement and read it again. */
  #rewind(): void {
    const unfinished = this.#notHandedOn(this.#window.unacknowledged());
    this.#floor = earlier(this.#floor, this.#acked.resumeAt(unfinished, this.#decoder.streams));
    this.#window.reset();
    this.#received = this.#acked.clone();
    this.#merge?.reset(this.#received);
  }

  #engineMessage(message: string): void {
    // The engine's own error text, or a record without a stamp: not a container line.
    this.#o.notify({ type: 'engine_message', ...this.#who(), message });
    this.#o.telemetry.eventsDropped(COMPONENT, 'decode_error', 1, false);
  }

  async #liveness(): Promise<Liveness> {
    try {
      const info = await this.#o.docker.getContainer(this.id).inspect({ abortSignal: this.#stopped.signal });
      return { state: info.State.Running ? 'running' : 'stopped', startedAt: info.State.StartedAt };
    } catch (error) {
      return { state: (error as { statusCode?: number }).statusCode === 404 ? 'gone' : 'unknown' };
    }
  }

  /** Waits for wake() (a start event, a reconnect) or, with a timeout, at most that long. */
  async #waitForWake(timeoutMs?: number): Promise<void> {
    if (this.#woken || this.#stopping || this.#window.failed) {
      this.#woken = false;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#onWake = resolve;
      if (timeoutMs !== undefined) timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    this.#onWake = undefined;
    this.#woken = false;
  }

  #drainedNotice(confirmed: boolean): void {
    this.#o.notify({ type: 'container_drained', ...this.#who(), confirmed });
  }

  /**
   * After a restart: lines the engine deleted before they were read (gap.ts).
   * Asked once, before the first read; an engine that cannot answer is not a gap.
   */
  async #lostWhileStopped(): Promise<void> {
    const read = this.#o.checkpoint ? newestRead(this.#o.checkpoint) : undefined;
    if (read === undefined) return;
    let oldest: bigint | undefined;
    try {
      oldest = await oldestHeld(this.#o.docker, this.id, this.#stopped.signal);
    } catch {
      return;
    }
    if (oldest === undefined || oldest <= read || this.#stopping) return;
    const from = stampText(read);
    const to = stampText(oldest);
    this.#o.telemetry.eventsDropped(COMPONENT, 'rotated_away', 1, false);
    this.#o.notify({
      type: 'rotated_away',
      ...this.#who(),
      from,
      to,
      error: new CodedError(agentErrors.DOCKER_LOGS_ROTATED_AWAY, { container: this.#name(), from, to }),
    });
  }

  #unreadable(error: unknown): void {
    const detail = 'it was removed before its logs were read';
    this.#o.notify({
      type: 'logs_unreadable',
      ...this.#who(),
      error: new CodedError(agentErrors.DOCKER_LOGS_UNREADABLE, { container: this.#name(), detail }, { cause: error }),
    });
  }

  #name(): string {
    return this.#o.metadata().name;
  }

  #who(): { containerId: string; name: string } {
    return { containerId: this.id, name: this.#name() };
  }
}

function driverError(container: string, error: unknown): CodedError {
  const detail = error instanceof Error ? error.message.trim() : String(error);
  return new CodedError(agentErrors.DOCKER_LOG_DRIVER_UNSUPPORTED, { container, detail }, { cause: error });
}

/** A stamp in nanoseconds as RFC 3339 with nanoseconds, for messages. */
function stampText(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}
