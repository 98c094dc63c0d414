// Between the listeners and the spool: received events are batched and
// appended with a few appends in flight (the spool commits them in groups).
// The bytes waiting here are bounded. At the bound the intake says so:
// TCP and TLS stop reading (the sender's own queue holds the data, as
// RFC 6587 senders expect of a slow receiver), and UDP, which cannot be
// paused, drops and counts. The bound is reached when the spool is full
// (appends wait for room) or cannot keep up.
import type { EventWriter } from '../../pipeline/types.ts';

export interface IntakeOptions {
  writer: EventWriter;
  /** Records per append. */
  batchEvents: number;
  /** Bytes held and in flight (UTF-8, or UTF-16 units for a writer that takes strings) before the intake is full. */
  maxPendingBytes: number;
  /** Appends in flight at once. */
  concurrency: number;
  /** The intake became full (true) or has room again (false). */
  onPressure: (full: boolean) => void;
  /** An append failed: its records are lost (counted by the caller); `closing` when the spool closed under it. */
  onFailure: (error: unknown, records: number, closing: boolean) => void;
}

export class Intake {
  readonly #options: IntakeOptions;
  #queue: (Buffer | string)[] = [];
  #queuedBytes = 0;
  #inFlightBytes = 0;
  #inFlight = new Set<Promise<void>>();
  #scheduled = false;
  #full = false;
  #closed = false;

  constructor(options: IntakeOptions) {
    this.#options = options;
  }

  /** Whether the bound is reached: UDP drops instead of adding. */
  get full(): boolean {
    return this.#full;
  }

  get pendingBytes(): number {
    return this.#queuedBytes + this.#inFlightBytes;
  }

  /** Takes records (the array is not kept). */
  add(records: readonly string[]): void {
    if (records.length === 0) return;
    const asBytes = this.#options.writer.writeBytes !== undefined;
    for (const record of records) {
      // Held as bytes, outside the JavaScript heap, where the writer takes
      // them: records wait here and in flight for milliseconds, long enough
      // for the garbage collector to copy every one twice if they stayed strings.
      const held = asBytes ? Buffer.from(record, 'utf8') : record;
      this.#queue.push(held);
      this.#queuedBytes += held.length;
    }
    this.#check();
    if (this.#queue.length >= this.#options.batchEvents) this.#pump();
    else if (!this.#scheduled) {
      // Whatever else arrived in this turn of the event loop goes in the same append.
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#pump();
      });
    }
  }

  /** Appends everything queued and waits for every append. */
  async drain(): Promise<void> {
    for (;;) {
      this.#pump(true);
      if (this.#inFlight.size === 0 && this.#queue.length === 0) return;
      await Promise.race(this.#inFlight);
    }
  }

  /** The source is stopping: returns how many records were never handed to the writer. */
  close(): number {
    this.#closed = true;
    const abandoned = this.#queue.length;
    this.#queue = [];
    this.#queuedBytes = 0;
    return abandoned;
  }

  #pump(force = false): void {
    const { batchEvents, concurrency, writer } = this.#options;
    while (this.#queue.length > 0 && (this.#inFlight.size < concurrency || force)) {
      const batch = this.#queue.length <= batchEvents ? this.#queue : this.#queue.slice(0, batchEvents);
      this.#queue = batch === this.#queue ? [] : this.#queue.slice(batchEvents);
      let bytes = 0;
      for (const record of batch) bytes += record.length;
      this.#queuedBytes -= bytes;
      this.#inFlightBytes += bytes;
      const count = batch.length;
      const write: Promise<void> = (
        writer.writeBytes ? writer.writeBytes(batch as Buffer[]) : writer.writeRecords(batch as string[])
      ).then(
        () => this.#settle(write, bytes),
        (error: unknown) => {
          this.#settle(write, bytes);
          this.#options.onFailure(error, count, this.#closed);
        },
      );
      this.#inFlight.add(write);
      if (force) break;
    }
  }

  #settle(write: Promise<void>, bytes: number): void {
    this.#inFlight.delete(write);
    this.#inFlightBytes -= bytes;
    this.#check();
    if (this.#queue.length > 0) this.#pump();
  }

  #check(): void {
    const full = this.pendingBytes >= this.#options.maxPendingBytes;
    if (full === this.#full) return;
    this.#full = full;
    this.#options.onPressure(full);
  }
}
