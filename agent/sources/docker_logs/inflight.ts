// The batches a follower handed to the writer and is waiting on. Batches are
// acknowledged in order: a batch that resolves early waits for those before
// it, and only the contiguous acknowledged prefix moves the checkpoint. When
// the window is full, the follower stops reading (backpressure). Every record
// it holds is also taken from the byte budget all containers share, and
// given back as soon as the writer acknowledged it (or it is dropped to be
// read again), so that the window's bytes count towards one bound.
import type { ByteBudget } from '../../pipeline/byte-budget.ts';
import type { EventWriter } from '../../pipeline/types.ts';
import type { Cursor } from './checkpoint.ts';
import { earlier } from './checkpoint.ts';
import type { StreamName } from './lines.ts';

export interface WindowLimits {
  readonly batchEvents: number;
  readonly batchBytes: number;
  readonly inflightBatches: number;
  readonly inflightBytes: number;
}

export interface WindowHooks {
  /** Everything up to `cursor` is acknowledged. */
  acknowledged(cursor: Cursor): void;
  /** write() rejected; later acknowledgements are ignored until reset(). */
  failed(error: unknown): void;
  /** A batch went to the writer. */
  sent(count: number, bytes: number): void;
}

interface Batch {
  /** Spool records (canonical JSON); emptied once acknowledged. */
  events: string[];
  bytes: number;
  /** Taken from the byte budget for these records and not given back yet. */
  taken: number;
  /** Stamp of the batch's first line per stream. */
  readonly first: Partial<Record<StreamName, bigint>>;
  cursor?: Cursor;
  done: boolean;
  settled?: Promise<void>;
}

const newBatch = (): Batch => ({ events: [], bytes: 0, taken: 0, first: {}, done: false });

export class InflightWindow {
  readonly #writer: EventWriter;
  readonly #signal: AbortSignal;
  readonly #limits: WindowLimits;
  readonly #hooks: WindowHooks;
  readonly #budget: ByteBudget | undefined;
  #batches: Batch[] = [];
  #bytes = 0;
  #open: Batch = newBatch();
  #generation = 0;
  #failure: { error: unknown } | undefined;
  #waiters: Array<() => void> = [];

  constructor(writer: EventWriter, signal: AbortSignal, limits: WindowLimits, hooks: WindowHooks, budget?: ByteBudget) {
    this.#writer = writer;
    this.#signal = signal;
    this.#limits = limits;
    this.#hooks = hooks;
    this.#budget = budget;
  }

  /** write() rejected since the last reset. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Adds an event's record to the open batch; true when the batch is full and should be sent. */
  add(event: string, stream: StreamName, ns: bigint, bytes: number): boolean {
    const batch = this.#open;
    batch.events.push(event);
    batch.bytes += bytes;
    if (this.#budget) {
      this.#budget.take(event.length);
      batch.taken += event.length;
    }
    batch.first[stream] ??= ns;
    return batch.events.length >= this.#limits.batchEvents || batch.bytes >= this.#limits.batchBytes;
  }

  /** Sends the open batch; `cursor` is what is covered once it is acknowledged. */
  send(cursor: Cursor): void {
    const batch = this.#open;
    if (batch.events.length === 0) return;
    this.#open = newBatch();
    batch.cursor = cursor;
    this.#batches.push(batch);
    this.#bytes += batch.bytes;
    this.#hooks.sent(batch.events.length, batch.bytes);
    const generation = this.#generation;
    batch.settled = this.#writer.writeRecords(batch.events, this.#signal).then(
      () => this.#acknowledge(batch, generation),
      (error: unknown) => this.#reject(generation, error),
    );
  }

  /** room() would wait. */
  get full(): boolean {
    return (
      !this.#failure &&
      (this.#batches.length >= this.#limits.inflightBatches || this.#bytes >= this.#limits.inflightBytes)
    );
  }

  /**
   * Waits while the window is full; returns at once after a failure, and
   * once `signal` is aborted (the follower is stopping: release() wakes it,
   * and a window still full must not hold the stop).
   */
  async room(signal?: AbortSignal): Promise<void> {
    while (this.full && !signal?.aborted) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Lets every room() waiter go (the follower is stopping). */
  release(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }

  /** Per stream, the stamp of the first line sent or collected but not acknowledged. */
  unacknowledged(): Partial<Record<StreamName, bigint>> {
    const first: Partial<Record<StreamName, bigint>> = {};
    for (const stream of ['stdout', 'stderr'] as const) {
      for (const batch of [...this.#batches, this.#open]) {
        const ns = batch.first[stream];
        if (ns !== undefined) {
          first[stream] = earlier(first[stream], ns);
          break;
        }
      }
    }
    return first;
  }

  /** Resolves when every batch sent so far has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#batches.map((b) => b.settled));
  }

  /** After a failure: forgets every batch; what they held will be read again. */
  reset(): void {
    this.#giveBackAll();
    this.#generation++;
    this.#failure = undefined;
    this.#batches = [];
    this.#bytes = 0;
    this.#open = newBatch();
  }

  /** The follower is done: whatever is still held gives its bytes back (later acknowledgements change nothing). */
  close(): void {
    this.#giveBackAll();
    this.#generation++;
    this.release();
  }

  #giveBack(batch: Batch): void {
    if (batch.taken === 0) return;
    this.#budget?.give(batch.taken);
    batch.taken = 0;
  }

  #giveBackAll(): void {
    for (const batch of this.#batches) this.#giveBack(batch);
    this.#giveBack(this.#open);
  }

  #acknowledge(batch: Batch, generation: number): void {
    if (generation !== this.#generation) return;
    batch.done = true;
    // Spooled: the records are the spool's now; their bytes go back at once, whatever waits before them.
    batch.events = [];
    this.#giveBack(batch);
    let cursor: Cursor | undefined;
    while (this.#batches[0]?.done) {
      const head = this.#batches.shift() as Batch;
      this.#bytes -= head.bytes;
      cursor = head.cursor;
    }
    if (cursor) this.#hooks.acknowledged(cursor);
    this.release();
  }

  #reject(generation: number, error: unknown): void {
    if (generation !== this.#generation || this.#failure) return;
    this.#failure = { error };
    // Everything held will be read again: its bytes must not keep other containers waiting meanwhile.
    this.#giveBackAll();
    this.#hooks.failed(error);
    this.release();
  }
}
