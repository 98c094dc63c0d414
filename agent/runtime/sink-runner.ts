// Moves events from the spool to a sink: read a batch, deliver it, and only
// then acknowledge it, in order, so the spool frees nothing undelivered.
// Up to `concurrency` batches are in flight; acknowledgements stay ordered.
import type { Component } from '../pipeline/types.ts';

export interface Batch {
  /** Spool records: events as canonical JSON (pipeline/event-json.ts). */
  readonly records: readonly string[];
  /** Marks the batch delivered; the spool may then free it. */
  ack(): Promise<void>;
}

export interface BatchSource {
  /** The next batch after what was last read; waits for data. */
  read(options: { maxEvents: number; maxBytes: number; signal: AbortSignal }): Promise<Batch>;
  /** Goes back to the last acknowledged position, to read again what a failed delivery left. */
  rewind(): void;
}

export interface Deliverer {
  deliverRecords(records: readonly string[], signal?: AbortSignal): Promise<unknown>;
  health?(): { state: string };
}

export interface SinkRunnerOptions {
  source: BatchSource;
  sink: Deliverer;
  maxEvents: number;
  maxBytes: number;
  concurrency: number;
  onError: (error: unknown) => void;
}

export class SinkRunner implements Component {
  private readonly options: SinkRunnerOptions;
  private controller: AbortController | undefined;
  private readAbort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;

  constructor(options: SinkRunnerOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.stopping = false;
    this.controller = new AbortController();
    this.loop = this.run(this.controller.signal);
  }

  /** Stops reading at once; deliveries in flight get until the deadline, then are left to the spool. */
  async stop(deadlineMs = 10_000): Promise<void> {
    const controller = this.controller;
    const loop = this.loop;
    if (!controller || !loop) return;
    this.stopping = true;
    this.readAbort?.abort();
    // A sink waiting out a failure would only use up the deadline: the spool keeps those batches.
    const waiting = this.options.sink.health?.().state === 'retrying';
    const timer = setTimeout(() => controller.abort(), waiting ? 0 : deadlineMs);
    try {
      await loop;
    } finally {
      clearTimeout(timer);
      controller.abort();
      this.loop = undefined;
      this.controller = undefined;
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { source, sink, maxEvents, maxBytes, concurrency } = this.options;
    // Resolves true while every batch so far was delivered and acknowledged in order.
    let inOrder: Promise<boolean> = Promise.resolve(true);
    let failed = false;
    const inFlight = new Set<Promise<boolean>>();
    while (!signal.aborted && !this.stopping) {
      let batch: Batch;
      try {
        this.readAbort = new AbortController();
        batch = await source.read({ maxEvents, maxBytes, signal: AbortSignal.any([signal, this.readAbort.signal]) });
      } catch (error) {
        if (signal.aborted || this.stopping) break;
        this.options.onError(error);
        continue;
      }
      const previous = inOrder;
      const step = sink.deliverRecords(batch.records, signal).then(
        async () => {
          // A batch is acknowledged only after every earlier one was.
          if (!(await previous)) return false;
          await batch.ack();
          return true;
        },
        async (error) => {
          if (!signal.aborted) this.options.onError(error);
          await previous;
          return false;
        },
      );
      inOrder = step.then(
        (ok) => ok,
        (error) => {
          this.options.onError(error);
          return false;
        },
      );
      const tracked = inOrder.then((ok) => {
        if (!ok) failed = true;
        return ok;
      });
      inFlight.add(tracked);
      void tracked.finally(() => inFlight.delete(tracked));
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (failed) {
        // Nothing after a failed batch was acknowledged: read it all again.
        await Promise.allSettled(inFlight);
        source.rewind();
        failed = false;
        inOrder = Promise.resolve(true);
      }
    }
    await Promise.allSettled(inFlight);
  }
}
