// A named reader of the spool (one per sink, e.g. 'elasticsearch'). It reads
// batches after its acknowledged position, and its acknowledgements are saved
// through the checkpoint store; only a saved acknowledgement frees data.
//
// Batches may be delivered in parallel and acknowledged out of order: the
// saved position advances only over a prefix of acknowledged batches.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { CodedError } from '../../core/coded-error.ts';
import type { CheckpointStore } from '../checkpoint/store.ts';
import { agentErrors } from '../errors.ts';
import { isFiller, isFrame } from './record.ts';
import { FileWindow, type SegmentInfo } from './segment.ts';
import type { CursorHolder, SpoolState } from './state.ts';
import { comparePositions, type ReadOptions, type SpoolBatch, type SpoolPosition, type SpoolRecord } from './types.ts';

const DEFAULT_MAX_RECORDS = 1000;
const DEFAULT_MAX_BYTES = 4 << 20;

interface Outstanding {
  end: SpoolPosition;
  acked: boolean;
}

interface AckWaiter {
  position: SpoolPosition;
  done: PromiseWithResolvers<void>;
}

export class SpoolReader implements CursorHolder {
  readonly name: string;
  readonly #state: SpoolState;
  readonly #store: CheckpointStore;
  readonly #onSaved: () => void;
  #committed: SpoolPosition;
  #persisted: SpoolPosition;
  #readAt: SpoolPosition;
  #outstanding: Outstanding[] = [];
  #waiters: AckWaiter[] = [];
  #file: { id: number; handle: FileHandle; window: FileWindow } | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #generation = 0;

  constructor(name: string, state: SpoolState, store: CheckpointStore, start: SpoolPosition, onSaved: () => void) {
    this.name = name;
    this.#state = state;
    this.#store = store;
    this.#onSaved = onSaved;
    this.#committed = start;
    this.#persisted = start;
    this.#readAt = start;
  }

  /** The acknowledged position (everything before it is delivered). */
  get position(): SpoolPosition {
    return this.#committed;
  }

  get persisted(): SpoolPosition {
    return this.#persisted;
  }

  /**
   * The next records after those already handed out; waits while there are
   * none. Only durable records are returned. Calls are served one at a time.
   */
  read(options: ReadOptions = {}): Promise<SpoolBatch> {
    const run = this.#chain.then(() => this.#read(options));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Marks everything before `position` delivered: pass a batch's `end` (or a
   * record's `position` to acknowledge the records before it). Resolves once
   * the acknowledgement is saved; an acknowledgement that waits on an earlier,
   * unacknowledged batch resolves when that one is acknowledged and saved.
   */
  ack(position: SpoolPosition): Promise<void> {
    if (comparePositions(position, this.#committed) > 0) {
      const index = this.#outstanding.findIndex((batch) => comparePositions(batch.end, position) === 0);
      const previous = this.#committed;
      if (index >= 0) {
        (this.#outstanding[index] as Outstanding).acked = true;
        while (this.#outstanding[0]?.acked) this.#committed = (this.#outstanding.shift() as Outstanding).end;
      } else {
        if (comparePositions(position, this.#readAt) > 0) {
          return Promise.reject(new RangeError(`spool reader "${this.name}" cannot acknowledge records not read yet`));
        }
        this.#committed = position;
        this.#outstanding = this.#outstanding.filter((batch) => comparePositions(batch.end, position) > 0);
      }
      if (this.#committed !== previous) this.#save();
    }
    if (comparePositions(position, this.#persisted) <= 0) return Promise.resolve();
    const done = Promise.withResolvers<void>();
    this.#waiters.push({ position, done });
    return done.promise;
  }

  /** Forgets batches read but not acknowledged: the next read starts after the acknowledged position. */
  rewind(): void {
    this.#readAt = this.#committed;
    this.#outstanding = [];
    this.#generation++;
  }

  skipTo(position: SpoolPosition): void {
    if (comparePositions(position, this.#readAt) > 0) {
      this.#readAt = position;
      this.#generation++;
    }
    if (comparePositions(position, this.#committed) > 0) {
      this.#committed = position;
      this.#outstanding = this.#outstanding.filter((batch) => comparePositions(batch.end, position) > 0);
      this.#save();
    }
    // The records before it are gone from disk, so a crash now cannot bring them back.
    if (comparePositions(position, this.#persisted) > 0) this.#setPersisted(position);
  }

  lag(): { records: number; bytes: number } {
    let records = 0;
    let bytes = 0;
    const at = this.#committed;
    for (const segment of this.#state.segments) {
      if (segment.id < at.segment) continue;
      const inside = segment.id === at.segment;
      records += inside ? Math.max(0, segment.records - at.index) : segment.records;
      bytes += inside ? Math.max(0, segment.end - at.offset) : segment.end;
    }
    return { records, bytes };
  }

  async close(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.handle.close();
  }

  async #read(options: ReadOptions): Promise<SpoolBatch> {
    const maxRecords = Math.max(1, options.maxRecords ?? DEFAULT_MAX_RECORDS);
    const maxBytes = Math.max(1, options.maxBytes ?? DEFAULT_MAX_BYTES);
    for (;;) {
      if (this.#state.closed) throw new CodedError(agentErrors.SPOOL_CLOSED);
      options.signal?.throwIfAborted();
      // Taken before looking, so that data arriving meanwhile still wakes us.
      const changed = this.#state.dataChanged();
      const batch = await this.#tryRead(maxRecords, maxBytes);
      if (batch) return batch;
      await untilChangedOrAborted(changed, options.signal);
    }
  }

  async #tryRead(maxRecords: number, maxBytes: number): Promise<SpoolBatch | undefined> {
    for (;;) {
      const generation = this.#generation;
      const segment = this.#state.segmentFrom(this.#readAt.segment);
      if (!segment) return undefined;
      if (segment.id !== this.#readAt.segment) this.#readAt = { segment: segment.id, offset: 0, index: 0 };
      const limit = segment.sealed ? segment.end : segment.durable;
      if (this.#readAt.offset >= limit) {
        if (!segment.sealed) return undefined;
        this.#readAt = { segment: segment.id + 1, offset: 0, index: 0 };
        continue;
      }
      const window = await this.#windowFor(segment);
      if (generation !== this.#generation) continue;
      if (!window) {
        this.#state.warn(`spool segment ${segment.path} vanished; its unread records are lost`);
        this.#readAt = { segment: segment.id + 1, offset: 0, index: 0 };
        continue;
      }
      const records: SpoolRecord[] = [];
      let bytes = 0;
      let at = this.#readAt.offset;
      let index = this.#readAt.index;
      while (at < limit && records.length < maxRecords) {
        // Decoding from the loaded window needs no await; only a window miss does.
        let frame = window.decode(at, limit);
        if ('kind' in frame && frame.kind === 'more') frame = await window.frameAt(at, limit);
        if (!isFrame(frame)) {
          at = this.#skipDamage(segment, at, limit);
          continue;
        }
        if (isFiller(frame)) {
          at = frame.end;
          continue;
        }
        if (records.length > 0 && bytes + frame.payload.length > maxBytes) break;
        records.push({ data: frame.payload, time: frame.time, position: { segment: segment.id, offset: at, index } });
        bytes += frame.payload.length;
        index++;
        at = frame.end;
      }
      // A deletion moved this reader while it was reading: what it read may be gone.
      if (generation !== this.#generation) continue;
      const end = { segment: segment.id, offset: at, index };
      this.#readAt = end;
      if (records.length === 0) continue;
      this.#outstanding.push({ end, acked: false });
      return { records, end, bytes };
    }
  }

  /** Past damage: a hole found at open, or (rarely) damage that appeared since, which is counted now. */
  #skipDamage(segment: SegmentInfo, at: number, limit: number): number {
    const hole = segment.holes.find(([start]) => start === at);
    if (hole) return hole[1];
    this.#state.drop('spool_corrupt', 1, false);
    this.#state.corruptBytes += limit - at;
    this.#state.warn(`spool segment ${segment.path} is damaged at byte ${at}; skipped ${limit - at} bytes`);
    segment.holes.push([at, limit]);
    return limit;
  }

  async #windowFor(segment: SegmentInfo): Promise<FileWindow | undefined> {
    if (this.#file?.id === segment.id) return this.#file.window;
    await this.close();
    let handle: FileHandle;
    try {
      handle = await open(segment.path, 'r');
    } catch {
      return undefined;
    }
    this.#file = { id: segment.id, handle, window: new FileWindow(handle) };
    return this.#file.window;
  }

  #save(): void {
    const value = this.#committed;
    this.#store.save(this.name, value).then(
      () => this.#setPersisted(value),
      (error: unknown) => {
        this.#state.warn(`cannot save spool cursor "${this.name}": ${String(error)}`);
        const failed = this.#waiters.filter((waiter) => comparePositions(waiter.position, value) <= 0);
        this.#waiters = this.#waiters.filter((waiter) => !failed.includes(waiter));
        for (const waiter of failed) waiter.done.reject(error);
      },
    );
  }

  #setPersisted(value: SpoolPosition): void {
    if (comparePositions(value, this.#persisted) <= 0) return;
    this.#persisted = value;
    const ready = this.#waiters.filter((waiter) => comparePositions(waiter.position, value) <= 0);
    this.#waiters = this.#waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.done.resolve();
    this.#onSaved();
  }
}

function untilChangedOrAborted(changed: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return changed;
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    changed.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
