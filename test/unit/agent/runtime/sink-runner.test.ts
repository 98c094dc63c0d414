import { describe, expect, it } from 'vitest';
import { eventJson } from '../../../../agent/pipeline/event-json.ts';
import { type Batch, type BatchSource, SinkRunner } from '../../../../agent/runtime/sink-runner.ts';
import type { LogEvent } from '../../../../schemas/log-event.ts';
import { syslogEvent } from '../../../helpers/events.ts';

/** An in-memory stand-in for the spool's reader: pure ordering logic under test. */
class ListSource implements BatchSource {
  readonly acked: number[] = [];
  rewinds = 0;
  private next = 0;
  private waiters: Array<() => void> = [];
  private readonly batches: string[][];
  constructor(batches: string[][]) {
    this.batches = batches;
  }

  async read({ signal }: { signal: AbortSignal }): Promise<Batch> {
    while (this.next >= this.batches.length) {
      await new Promise<void>((resolve, reject) => {
        this.waiters.push(resolve);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    const index = this.next++;
    return { records: this.batches[index] ?? [], ack: async () => void this.acked.push(index) };
  }

  rewind(): void {
    this.rewinds++;
    this.next = this.acked.length;
  }
}

const batches = (n: number) => Array.from({ length: n }, (_, i) => [eventJson(syslogEvent(i))]);
const messageOf = (record: string | undefined) =>
  record === undefined ? undefined : (JSON.parse(record) as LogEvent).message;

describe('SinkRunner', () => {
  it('acknowledges batches in read order even when deliveries finish out of order', async () => {
    const source = new ListSource(batches(6));
    const delays = [30, 1, 20, 1, 10, 1];
    const runner = new SinkRunner({
      source,
      sink: {
        deliverRecords: (records) =>
          new Promise((r) => setTimeout(r, delays[Number(messageOf(records[0])?.split(' ')[1])])),
      },
      maxEvents: 10,
      maxBytes: 1000,
      concurrency: 3,
      onError: () => {},
    });
    await runner.start();
    await expect.poll(() => source.acked.length).toBe(6);
    expect(source.acked).toEqual([0, 1, 2, 3, 4, 5]);
    await runner.stop();
  });

  it('acknowledges nothing past a failed delivery and reads it again', async () => {
    const source = new ListSource(batches(4));
    let failures = 1;
    const errors: unknown[] = [];
    const runner = new SinkRunner({
      source,
      sink: {
        deliverRecords: async (records) => {
          if (messageOf(records[0]) === 'line 1 of the test' && failures-- > 0) throw new Error('disk full');
        },
      },
      maxEvents: 10,
      maxBytes: 1000,
      concurrency: 2,
      onError: (error) => errors.push(error),
    });
    await runner.start();
    await expect.poll(() => source.acked.length).toBe(4);
    expect(source.acked).toEqual([0, 1, 2, 3]);
    expect(source.rewinds).toBe(1);
    expect(errors).toHaveLength(1);
    await runner.stop();
  });

  it('stops promptly while waiting for new data, and stop is safe twice or before start', async () => {
    const idle = new SinkRunner({
      source: new ListSource([]),
      sink: { deliverRecords: async () => {} },
      maxEvents: 1,
      maxBytes: 1,
      concurrency: 1,
      onError: () => {},
    });
    await idle.stop();
    await idle.start();
    await idle.stop(50);
    await idle.stop();
  });
});
