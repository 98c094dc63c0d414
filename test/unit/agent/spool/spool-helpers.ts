// Shared set-up for the spool tests: real directories under the system temp
// dir, and a Telemetry that simply adds up what it is told.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DropReason, Telemetry } from '../../../../agent/pipeline/types.ts';
import type { Spool, SpoolOptions, SpoolReader, SpoolRecord } from '../../../../agent/spool/index.ts';

export class CountingTelemetry implements Telemetry {
  readonly dropped = new Map<string, number>();
  received = 0;
  readonly gauges = new Map<string, number>();

  eventsReceived(_component: string, count: number): void {
    this.received += count;
  }

  eventsSent(): void {}

  eventsDropped(_component: string, reason: DropReason, count: number, intentional: boolean): void {
    const key = `${reason}${intentional ? ':intentional' : ''}`;
    this.dropped.set(key, (this.dropped.get(key) ?? 0) + count);
  }

  gauge(_component: string, name: string, value: number): void {
    this.gauges.set(name, value);
  }
}

const made: string[] = [];

export async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'shiplog-spool-test-'));
  made.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export function spoolOptions(dataDir: string, overrides: Partial<SpoolOptions> = {}): SpoolOptions {
  return {
    dataDir,
    maxBytes: 64 << 20,
    segmentBytes: 1 << 20,
    maxAgeMs: 7 * 86_400_000,
    historyMs: 3 * 86_400_000,
    fsync: 'always',
    fsyncIntervalMs: 10,
    ...overrides,
  };
}

/** A payload whose frame (16 bytes of header and time) is exactly `frame` bytes. */
export function payloadOfFrame(label: string, frame: number): string {
  return label.padEnd(frame - 16, '.');
}

export async function scanAll(spool: Spool, window?: { since?: Date; until?: Date }): Promise<string[]> {
  const out: string[] = [];
  for await (const record of spool.scan(window)) out.push(record.data.toString('utf8'));
  return out;
}

/** Reads until `count` records arrived, acknowledging each batch. */
export async function readAndAck(reader: SpoolReader, count: number): Promise<SpoolRecord[]> {
  const records: SpoolRecord[] = [];
  while (records.length < count) {
    const batch = await reader.read({ maxRecords: count - records.length });
    records.push(...batch.records);
    await reader.ack(batch.end);
  }
  return records;
}

export function text(records: readonly SpoolRecord[]): string[] {
  return records.map((record) => record.data.toString('utf8'));
}

export async function segmentFiles(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, 'spool'))).filter((name) => /^\d{12}\.seg$/.test(name)).sort();
}

/** Waits for a condition the code under test reaches on its own (no fixed sleeps). */
export async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}

/** Whether a promise has settled, after letting pending I/O callbacks run. */
export async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  return done;
}
