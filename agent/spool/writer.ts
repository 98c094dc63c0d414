// The append path. One loop (the "pump") owns the active segment: it writes,
// rolls segments, runs fsync ticks and retention, one step at a time, so no
// two of those ever race on a file. Appends queue up while a write is in
// flight and go out together in the next one (group commit): one positional
// write, and with fsync "always" one fdatasync, for many appends.
import type { FileHandle } from 'node:fs/promises';
import { CodedError } from '../../core/coded-error.ts';
import { agentErrors } from '../errors.ts';
import { dropRest, encodePlan, newRequest, type Plan, planWrite, type Request, WRITE_CHUNK } from './batch.ts';
import { frameBytes } from './record.ts';
import { runRetention } from './retention.ts';
import { createSegment, type SegmentInfo } from './segment.ts';
import { COMPONENT, type SpoolState } from './state.ts';
import type { AppendOptions, AppendResult } from './types.ts';

// With fsync "interval", this much unsynced data triggers the fsync early:
// otherwise sources that await their appends could never ship more than the
// bytes they have in flight per interval. Past 1 MiB in flight, fsyncs follow
// the load (each covering at least 1 MiB) instead of the clock.
const SYNC_BYTES = 1 << 20;

export class SpoolWriter {
  readonly #state: SpoolState;
  #queue: Request[] = [];
  #awaitingSync: Request[] = [];
  #handle: FileHandle | undefined;
  #pumping: Promise<void> | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  #syncDue = false;
  #unsynced = 0;
  #scratch: Buffer | undefined;
  #retention: PromiseWithResolvers<void>[] = [];
  #blocked = false;
  #closed = false;

  constructor(state: SpoolState) {
    this.#state = state;
  }

  get blocked(): boolean {
    return this.#blocked;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  append(records: readonly (Buffer | string)[], options: AppendOptions = {}): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(closedError());
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    if (records.length === 0) return Promise.resolve({ accepted: 0, dropped: 0 });
    const whenFull = this.#state.options.mode === 'ring' ? 'block' : (options.whenFull ?? this.#state.options.whenFull);
    if (whenFull === 'drop_newest' && this.#blocked) {
      // Appends are already waiting for room: a push source must not queue behind them.
      this.#state.drop('spool_full', records.length, false);
      return Promise.resolve({ accepted: 0, dropped: records.length });
    }
    const signal = options.signal;
    const request = newRequest(records, whenFull, signal);
    if (signal) {
      const onAbort = () => this.#abort(request, signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      request.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    this.#queue.push(request);
    this.#kick();
    return request.done.promise;
  }

  /** Runs the retention rules in the pump; resolves when they have run. */
  requestRetention(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const done = Promise.withResolvers<void>();
    this.#retention.push(done);
    this.#kick();
    return done.promise;
  }

  /** Rejects waiting appends, finishes the write in flight, fsyncs and closes the active segment. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const request of this.#queue) if (!request.inFlight) this.#settle(request, closedError());
    this.#queue = this.#queue.filter((request) => !request.settled);
    while (this.#pumping) await this.#pumping;
    clearTimeout(this.#syncTimer);
    const segment = this.#state.active();
    await this.#guard(this.#awaitingSync.slice(), async () => {
      const handle = this.#handle;
      this.#handle = undefined;
      try {
        // Flushes under every policy, "never" included.
        await handle?.datasync();
        if (segment) segment.durable = segment.end;
      } finally {
        await handle?.close();
      }
    });
    for (const request of this.#awaitingSync.splice(0)) this.#settle(request);
    for (const waiter of this.#retention.splice(0)) waiter.resolve();
  }

  #kick(): void {
    if (this.#pumping) return;
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = undefined;
      if (this.#retention.length > 0 || this.#syncDue || (!this.#blocked && this.#queue.length > 0)) this.#kick();
    });
  }

  async #pump(): Promise<void> {
    let retried = false;
    for (;;) {
      if (this.#retention.length > 0) {
        const waiters = this.#retention.splice(0);
        await this.#retain(0);
        for (const waiter of waiters) waiter.resolve();
        this.#blocked = false;
        continue;
      }
      if (this.#syncDue) {
        this.#syncDue = false;
        await this.#guard(this.#awaitingSync.slice(), () => this.#sync());
        continue;
      }
      if (this.#closed) {
        // Appends partly written when close() came: the rest will not be.
        for (const request of this.#queue) this.#settle(request, closedError());
        this.#queue = [];
        return;
      }
      if (this.#blocked || this.#queue.length === 0) return;
      const plan = planWrite(this.#queue, this.#state);
      // With nothing to write, only oversize records were left: finish those requests.
      if (plan.kind === 'write' && plan.slices.length === 0) this.#finishDone();
      if (plan.kind === 'roll') {
        await this.#guard(this.#awaitingSync.slice(), () => this.#seal());
      } else if (plan.kind === 'write') {
        retried = false;
        await this.#write(plan);
      } else if (!retried) {
        // Ask retention for room (history yields to new data; ring mode drops the oldest).
        retried = true;
        await this.#retain(plan.need);
      } else {
        retried = false;
        this.#full();
      }
    }
  }

  /** The byte cap holds and retention could not make room. */
  #full(): void {
    const head = this.#queue[0];
    if (head?.whenFull === 'drop_newest') {
      dropRest(head, this.#state);
      this.#finishDone();
      return;
    }
    this.#blocked = true;
    for (const request of this.#queue) {
      if (request.whenFull === 'drop_newest' && request !== head) dropRest(request, this.#state);
    }
    this.#finishDone();
    this.#state.reportGauges(true);
  }

  async #write(plan: Extract<Plan, { kind: 'write' }>): Promise<void> {
    if (plan.slices.length === 0) return;
    const requests = plan.slices.map((slice) => slice.request);
    for (const request of requests) request.inFlight = true;
    await this.#guard(requests, async () => {
      const segment = this.#state.active() ?? (await this.#openSegment());
      const handle = this.#handle as FileHandle;
      const time = this.#state.now();
      this.#scratch ??= Buffer.allocUnsafeSlow(WRITE_CHUNK);
      const { buffer, records } = encodePlan(plan, time, this.#scratch);
      let written = 0;
      while (written < buffer.length) {
        const result = await handle.write(buffer, written, buffer.length - written, segment.end + written);
        written += result.bytesWritten;
      }
      segment.end += buffer.length;
      segment.bytes += buffer.length;
      segment.records += records;
      if (!(time >= segment.minTime)) segment.minTime = time;
      if (!(time <= segment.maxTime)) segment.maxTime = time;
      this.#state.bytesUsed += buffer.length;
      this.#state.telemetry.eventsReceived(COMPONENT, records, buffer.length - records * frameBytes(0));
      for (const { request, sizes } of plan.slices) {
        request.next += sizes.length;
        request.accepted += sizes.length;
      }
      for (const request of requests) {
        request.inFlight = false;
        // Aborted while its write was in flight: what was written stays, the rest is not waited for.
        if (request.signal?.aborted && request.next < request.records.length) {
          this.#settle(request, request.signal.reason);
        }
      }
      this.#queue = this.#queue.filter((request) => !request.settled);
      // Includes requests left with only oversize records, which the plan skipped.
      const completed = this.#queue.filter((request) => request.next === request.records.length);
      this.#queue = this.#queue.filter((request) => request.next < request.records.length);
      if (this.#state.options.fsync === 'always') await handle.datasync();
      // Under "interval" an append is acknowledged once the kernel has it: a
      // killed agent loses nothing, a power cut at most fsync_interval. Waiting
      // for the tick instead would cap a source that awaits each append at one
      // batch per interval.
      segment.durable = segment.end;
      this.#state.notifyData();
      for (const request of completed) this.#settle(request);
      if (this.#state.options.fsync === 'interval') {
        this.#unsynced += buffer.length;
        if (this.#unsynced >= SYNC_BYTES) this.#syncDue = true;
        this.#syncTimer ??= setTimeout(() => {
          this.#syncTimer = undefined;
          this.#syncDue = true;
          this.#kick();
        }, this.#state.options.fsyncIntervalMs);
        this.#syncTimer.unref();
      }
      this.#state.reportGauges(false);
    });
  }

  /** fsync tick: everything written so far becomes durable and visible. */
  async #sync(): Promise<void> {
    const unsynced = this.#unsynced;
    this.#unsynced = 0;
    if (unsynced > 0 && this.#handle) await this.#handle.datasync();
    for (const request of this.#awaitingSync.splice(0)) this.#settle(request);
  }

  /** Closes the active segment for good; the next write opens a new one. */
  async #seal(): Promise<void> {
    const segment = this.#state.active();
    if (!segment) return;
    const handle = this.#handle;
    this.#handle = undefined;
    try {
      if (handle && this.#state.options.fsync === 'interval' && this.#unsynced > 0) await handle.datasync();
    } finally {
      segment.sealed = true;
      await handle?.close();
    }
    segment.durable = segment.end;
    this.#unsynced = 0;
    this.#state.notifyData();
    // Every append waiting for an fsync tick wrote into this segment or an older, sealed one.
    for (const request of this.#awaitingSync.splice(0)) this.#settle(request);
  }

  async #openSegment(): Promise<SegmentInfo> {
    const { dir, fsync } = this.#state.options;
    const { segment, handle } = await createSegment(dir, this.#state.nextSegmentId++, fsync !== 'never');
    this.#handle = handle;
    this.#state.segments.push(segment);
    return segment;
  }

  #retain(need: number): Promise<void> {
    const seal = () => this.#guard(this.#awaitingSync.slice(), () => this.#seal());
    return runRetention(this.#state, need, seal).catch((error: unknown) => {
      this.#state.warn(`spool retention failed: ${describe(error)}`);
    });
  }

  /**
   * Runs one file step; on an I/O error the requests involved are rejected and
   * the active segment is sealed, so later appends start on a fresh file.
   */
  async #guard(requests: Request[], step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      const coded = new CodedError(
        agentErrors.SPOOL_IO,
        { dir: this.#state.options.dir, detail: describe(error) },
        { cause: error },
      );
      this.#state.warn(coded.message);
      for (const request of requests) this.#settle(request, coded);
      this.#queue = this.#queue.filter((request) => !request.settled);
      const segment = this.#state.active();
      if (segment) {
        // What reached the file stays readable: the appenders were told it
        // failed and will send it again, and event ids make that harmless.
        segment.sealed = true;
        segment.durable = segment.end;
        this.#state.notifyData();
        const handle = this.#handle;
        this.#handle = undefined;
        // A half-done write leaves bytes past `end`; cut them so the next open sees no damage.
        await handle?.truncate(segment.end).catch(() => undefined);
        await handle?.close().catch(() => undefined);
      }
    }
  }

  #finishDone(): void {
    for (const request of this.#queue) if (request.next === request.records.length) this.#settle(request);
    this.#queue = this.#queue.filter((request) => !request.settled);
  }

  #abort(request: Request, reason: unknown): void {
    if (request.settled || request.inFlight) return;
    const index = this.#queue.indexOf(request);
    if (index < 0) return;
    this.#queue.splice(index, 1);
    this.#settle(request, reason);
    if (index === 0 && this.#blocked) {
      // The next append may be smaller and fit.
      this.#blocked = false;
      this.#kick();
    }
  }

  #settle(request: Request, error?: unknown): void {
    if (request.settled) return;
    request.settled = true;
    request.unlisten?.();
    if (error === undefined) request.done.resolve({ accepted: request.accepted, dropped: request.dropped });
    else request.done.reject(error);
  }
}

function closedError(): CodedError {
  return new CodedError(agentErrors.SPOOL_CLOSED);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
