// Writes one bundle's events under a new generation, invisible until
// commit() lists it in the tenant's control document (control.ts).
//
// add() encodes events at once (documents.ts; a bad event throws there,
// naming it) into bulk bodies of about BULK_BYTES, which go out in the
// background, CONCURRENCY at a time, each delivered whole or failing the
// writer (bulk.ts). add() cannot wait, and an ingest reads a bundle faster
// than a cluster indexes it, so bodies waiting beyond MEMORY_BYTES go to a
// scratch file (unlinked as soon as it is opened: nothing survives a crash)
// and are read back in turn; a caller that can wait calls ready() after
// add() and nothing is ever spilled.
//
// commit() waits for every body, refreshes the index (so that the bundle is
// searchable when the flip shows it), flips the control document, and then,
// after a short grace for searches that read the control document just
// before the flip, removes the generation it replaced. abort(), a failed commit and a crash
// leave nothing visible; what they wrote is removed at once, or by the next
// writer of the tenant (index.ts, sweep).
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BundleWriter, IndexedEvent } from '../types.ts';
import { sendBulk } from './bulk.ts';
import type { Cluster, ClusterFeatures } from './cluster.ts';
import { updateControl } from './control.ts';
import { DocumentEncoder } from './documents.ts';
import { GEN_FIELD } from './mapping.ts';
import { purge } from './purge.ts';

export interface WriterOptions {
  /** Bytes (UTF-16 units) of one bulk body. */
  readonly bulkBytes?: number;
  /** Bulk requests in flight at once. */
  readonly concurrency?: number;
  /** Bulk bodies held in memory while waiting, in bytes; more go to the scratch file. */
  readonly memoryBytes?: number;
  /** Where the scratch file is made. */
  readonly spillDir: string;
  /** How long a replaced generation stays after the flip, for searches already on their way to it. */
  readonly graceMs?: number;
}

export interface WriterPlace {
  readonly cluster: Cluster;
  readonly features: ClusterFeatures;
  readonly index: string;
  readonly tenant: string;
  readonly bundle: string;
  readonly gen: number;
  /** Called once when the writer is done (committed, aborted or failed). */
  readonly onDone: () => void;
}

type Chunk = { readonly body: string } | { readonly at: number; readonly bytes: number };

const BULK_BYTES = 4 * 1024 * 1024;
const CONCURRENCY = 2;
const MEMORY_BYTES = 24 * 1024 * 1024;
const GRACE_MS = 2000;

export class ElasticsearchBundleWriter implements BundleWriter {
  private readonly place: WriterPlace;
  private readonly encoder: DocumentEncoder;
  private readonly bulkBytes: number;
  private readonly concurrency: number;
  private readonly memoryBytes: number;
  private readonly spillDir: string;
  private readonly graceMs: number;
  private state: 'open' | 'committing' | 'done' = 'open';
  private failure: unknown;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private readonly queue: Chunk[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private sent = 0;
  private readonly aborter = new AbortController();
  private waiters: (() => void)[] = [];
  private spill: { fd: number; end: number } | undefined;
  private finished = false;

  constructor(place: WriterPlace, options: WriterOptions) {
    this.place = place;
    this.encoder = new DocumentEncoder(place.tenant, place.bundle, place.gen);
    this.bulkBytes = options.bulkBytes ?? BULK_BYTES;
    this.concurrency = options.concurrency ?? CONCURRENCY;
    this.memoryBytes = options.memoryBytes ?? MEMORY_BYTES;
    this.spillDir = options.spillDir;
    this.graceMs = options.graceMs ?? GRACE_MS;
  }

  get gen(): number {
    return this.place.gen;
  }

  add(events: readonly IndexedEvent[]): void {
    this.checkOpen();
    for (const event of events) {
      const lines = this.encoder.encode(event);
      this.buffer.push(lines);
      this.bufferBytes += lines.length;
      if (this.bufferBytes >= this.bulkBytes) this.seal();
    }
  }

  /** Resolves when the writer can take more without holding more in memory (or has failed: add() then says why). */
  ready(): Promise<void> {
    if (this.queue.length <= this.concurrency || this.stopped() || this.state === 'done') {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async commit(): Promise<void> {
    this.checkOpen();
    this.state = 'committing';
    const { cluster, index, bundle, gen } = this.place;
    let replaced: number | undefined;
    try {
      this.seal();
      await this.drained();
      if (this.failure !== undefined) throw this.failure;
      await cluster.request('POST', `/${index}/_refresh`);
      replaced = await updateControl(cluster, index, (state) => {
        if (!state.writing.some((entry) => entry.gen === gen)) {
          throw new Error(
            `generation ${gen} of bundle "${bundle}" in ${index} was dropped as abandoned before it was committed; write the bundle again`,
          );
        }
        const visible = new Map(state.visible);
        const previous = visible.get(bundle);
        visible.set(bundle, gen);
        return {
          state: { ...state, visible, writing: state.writing.filter((entry) => entry.gen !== gen) },
          result: previous,
        };
      });
    } catch (error) {
      await this.discard();
      throw error;
    }
    this.finish();
    if (replaced !== undefined && replaced !== gen) {
      // Invisible since the flip. A search that read the control document just before it may still be on its
      // way to the old generation: give it a moment, so that it finds the old events whole, not half deleted.
      await sleep(this.graceMs);
      // The next writer's sweep removes it if this fails.
      await purge(cluster, this.place.features, index, { term: { [GEN_FIELD]: replaced } }).catch(() => {});
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'done') return;
    await this.discard();
  }

  /** Events added so far. */
  get added(): number {
    return this.encoder.count;
  }

  private checkOpen(): void {
    if (this.failure !== undefined) {
      throw new Error(`the index writer of bundle "${this.place.bundle}" failed earlier; abort it`, {
        cause: this.failure,
      });
    }
    if (this.state !== 'open')
      throw new Error(`the index writer of bundle "${this.place.bundle}" is already ${this.state}`);
  }

  /** Closes the pending body and queues it (in memory, or in the scratch file past the memory budget). */
  private seal(): void {
    if (this.buffer.length === 0) return;
    const body = this.buffer.join('');
    this.buffer = [];
    this.bufferBytes = 0;
    if (this.queuedBytes + body.length > this.memoryBytes && this.queue.length >= this.concurrency) {
      this.queue.push(this.spillOut(body));
    } else {
      this.queue.push({ body });
      this.queuedBytes += body.length;
    }
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.queue.length > 0 && !this.stopped()) {
      const chunk = this.queue.shift() as Chunk;
      this.inFlight++;
      this.send(chunk)
        .catch((error: unknown) => {
          this.failure ??= error;
          this.aborter.abort();
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
          this.wake();
        });
    }
    this.wake();
  }

  private async send(chunk: Chunk): Promise<void> {
    let body: string;
    if ('body' in chunk) {
      body = chunk.body;
      this.queuedBytes -= body.length;
    } else {
      body = this.spillIn(chunk);
    }
    this.sent++;
    await sendBulk(this.place.cluster, this.place.index, body, 2, this.aborter.signal);
  }

  /** Resolves when nothing is queued or in flight (a failure stops the queue). */
  private async drained(): Promise<void> {
    while (this.inFlight > 0 || (this.queue.length > 0 && !this.stopped())) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private stopped(): boolean {
    return this.failure !== undefined || this.aborter.signal.aborted;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private spillOut(body: string): Chunk {
    if (!this.spill) {
      const path = join(this.spillDir, `.shiplog-es-${this.place.tenant}-${this.place.gen}-${process.pid}.ndjson`);
      const fd = openSync(path, 'w+', 0o600);
      unlinkSync(path);
      this.spill = { fd, end: 0 };
    }
    const bytes = writeSync(this.spill.fd, body, this.spill.end, 'utf8');
    const chunk = { at: this.spill.end, bytes };
    this.spill.end += bytes;
    return chunk;
  }

  private spillIn(chunk: { at: number; bytes: number }): string {
    const buffer = Buffer.allocUnsafe(chunk.bytes);
    let read = 0;
    while (read < chunk.bytes) {
      const n = readSync(this.spill?.fd as number, buffer, read, chunk.bytes - read, chunk.at + read);
      if (n === 0) throw new Error('the index writer’s scratch file ended early');
      read += n;
    }
    return buffer.toString('utf8');
  }

  /** Stops sending, removes what was written, forgets the generation. Never throws. */
  private async discard(): Promise<void> {
    this.state = 'done';
    this.aborter.abort();
    this.queue.length = 0;
    this.buffer = [];
    await this.drained();
    const { cluster, features, index, gen } = this.place;
    try {
      if (this.sent > 0) await purge(cluster, features, index, { term: { [GEN_FIELD]: gen } });
      await updateControl(cluster, index, (state) =>
        state.writing.some((entry) => entry.gen === gen)
          ? { state: { ...state, writing: state.writing.filter((entry) => entry.gen !== gen) }, result: undefined }
          : { result: undefined },
      );
    } catch {
      // The next writer's sweep removes what is left.
    }
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.state = 'done';
    if (this.spill) {
      closeSync(this.spill.fd);
      this.spill = undefined;
    }
    this.wake();
    this.place.onDone();
  }
}
