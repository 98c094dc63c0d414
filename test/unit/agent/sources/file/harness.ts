// Small in-memory stand-ins for the pipeline around the file source (the
// spool and the checkpoint store are other components), plus helpers to
// drive a source over real files and wait for what it delivers.
import { setTimeout as sleep } from 'node:timers/promises';
import { Value } from '@sinclair/typebox/value';
import type { DropReason, EventWriter, LogEvent, StateStore, Telemetry } from '../../../../../agent/pipeline/types.ts';
import { createFileSource, type FileSource } from '../../../../../agent/sources/file/index.ts';
import type { FileSourceConfig, FileSourceOptions } from '../../../../../agent/sources/file/options.ts';
import type { CodedError } from '../../../../../core/coded-error.ts';
import { FileSourceSchema } from '../../../../../schemas/agent-config.ts';

/** The configuration the source runs on when none is given (schema defaults). */
export function defaultFileSourceConfig(overrides: Partial<FileSourceConfig> = {}): FileSourceConfig {
  return Value.Default(FileSourceSchema, structuredClone(overrides)) as FileSourceConfig;
}

export class MemoryStore implements StateStore {
  readonly values = new Map<string, string>();
  saves = 0;

  async load<T>(name: string): Promise<T | undefined> {
    const text = this.values.get(name);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async save(name: string, value: unknown): Promise<void> {
    this.saves++;
    this.values.set(name, JSON.stringify(value));
  }
}

/** Acknowledges at once, or holds every write while blocked (a full spool). */
export class MemoryWriter implements EventWriter {
  readonly events: LogEvent[] = [];
  /** Everything handed to write(), acknowledged or not. */
  readonly attempted: LogEvent[] = [];
  writes = 0;
  pending = 0;
  /** A slow downstream: each write takes this long. */
  delayMs = 0;
  #gate: PromiseWithResolvers<void> | undefined;

  block(): void {
    this.#gate ??= Promise.withResolvers<void>();
  }

  unblock(): void {
    this.#gate?.resolve();
    this.#gate = undefined;
  }

  /** Records are decoded, so tests see the events the spool would hold. */
  writeRecords(records: readonly string[], signal?: AbortSignal): Promise<void> {
    return this.write(
      records.map((record) => JSON.parse(record) as LogEvent),
      signal,
    );
  }

  async write(events: readonly LogEvent[], signal?: AbortSignal): Promise<void> {
    this.writes++;
    this.pending++;
    this.attempted.push(...events);
    try {
      if (this.delayMs > 0) await sleep(this.delayMs);
      while (this.#gate) {
        const gate = this.#gate.promise;
        const aborted = new Promise<never>((_, reject) => {
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
        await Promise.race([gate, aborted]);
      }
      this.events.push(...events);
    } finally {
      this.pending--;
    }
  }
}

export class CountingTelemetry implements Telemetry {
  received = 0;
  readonly dropped: Partial<Record<DropReason, number>> = {};
  readonly gauges: Record<string, number> = {};
  eventsReceived(_component: string, count: number): void {
    this.received += count;
  }
  eventsSent(): void {}
  eventsDropped(_component: string, reason: DropReason, count: number): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + count;
  }
  readonly droppedBytes: Partial<Record<DropReason, number>> = {};
  bytesDropped(_component: string, reason: DropReason, bytes: number): void {
    this.droppedBytes[reason] = (this.droppedBytes[reason] ?? 0) + bytes;
  }
  gauge(_component: string, name: string, value: number): void {
    this.gauges[name] = value;
  }
}

export interface Harness {
  source: FileSource;
  writer: MemoryWriter;
  store: StateStore;
  telemetry: CountingTelemetry;
  errors: CodedError[];
}

/** Fast timers so tests wait for behaviour, not for production intervals. */
export const FAST: FileSourceOptions = {
  pollIntervalMs: 50,
  rotateGraceMs: 150,
  rescanIntervalMs: 200,
  checkpointIntervalMs: 10,
};

export function startSource(
  paths: string[],
  options: {
    store?: StateStore;
    writer?: MemoryWriter;
    config?: Partial<FileSourceConfig>;
    options?: FileSourceOptions;
  } = {},
): Harness {
  const writer = options.writer ?? new MemoryWriter();
  const store = options.store ?? new MemoryStore();
  const telemetry = new CountingTelemetry();
  const errors: CodedError[] = [];
  const source = createFileSource({
    writer,
    state: store,
    telemetry,
    hostName: 'test-host',
    config: defaultFileSourceConfig({ paths, timezone: 'UTC', ...options.config }),
    options: { ...FAST, ...options.options, onError: (error) => errors.push(error) },
  });
  void source.start();
  return { source, writer, store, telemetry, errors };
}

/**
 * Polls until `check` holds (running `before` ahead of each look); fails with
 * `what` after the deadline. A hang guard, not a timing assertion.
 */
export async function waitFor(
  check: () => boolean,
  what: string,
  timeoutMs = 30_000,
  before?: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await before?.();
    if (check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A traditional syslog line carrying a sequence number. */
export function seqLine(seq: number, tag = 'app'): string {
  const second = String(seq % 60).padStart(2, '0');
  return `Mar  3 10:00:${second} host ${tag}[${1000 + (seq % 7)}]: seq=${seq}\n`;
}

export function seqLines(from: number, count: number, tag?: string): string {
  let text = '';
  for (let i = from; i < from + count; i++) text += seqLine(i, tag);
  return text;
}

/** Sequence numbers in delivery order. */
export function seqsOf(events: readonly LogEvent[]): number[] {
  return events.flatMap((event) => {
    const match = /seq=(\d+)/.exec(event.message);
    return match ? [Number(match[1])] : [];
  });
}

/** Asserts-friendly summary: which of 0..count-1 are missing and which came twice. */
export function exactlyOnce(events: readonly LogEvent[], count: number): { missing: number[]; duplicated: number[] } {
  const seen = new Map<number, number>();
  for (const seq of seqsOf(events)) seen.set(seq, (seen.get(seq) ?? 0) + 1);
  const missing: number[] = [];
  for (let i = 0; i < count; i++) if (!seen.has(i)) missing.push(i);
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([seq]) => seq);
  return { missing, duplicated };
}
