// The in-flight window takes every record it holds from the shared budget and
// gives it back once the writer acknowledged it, or dropped it for a re-read.
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../../../agent/pipeline/byte-budget.ts';
import type { EventWriter } from '../../../../../agent/pipeline/types.ts';
import { Cursor } from '../../../../../agent/sources/docker_logs/checkpoint.ts';
import { InflightWindow } from '../../../../../agent/sources/docker_logs/inflight.ts';

/** A writer whose writes settle when the test says so. */
class HeldWriter implements EventWriter {
  readonly pending: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  write(): Promise<void> {
    return this.writeRecords();
  }
  writeRecords(): Promise<void> {
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
}

const limits = { batchEvents: 2, batchBytes: 1 << 20, inflightBatches: 4, inflightBytes: 1 << 20 };
const hooks = { acknowledged: () => undefined, failed: () => undefined, sent: () => undefined };
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('in-flight window and the shared budget', () => {
  it('takes what it holds and gives each batch back once acknowledged', async () => {
    const budget = new ByteBudget(1000);
    const writer = new HeldWriter();
    const window = new InflightWindow(writer, new AbortController().signal, limits, hooks, budget);
    window.add('a'.repeat(100), 'stdout', 1n, 100);
    window.add('b'.repeat(100), 'stdout', 2n, 100);
    window.send(Cursor.from(undefined));
    window.add('c'.repeat(50), 'stdout', 3n, 50);
    expect(budget.used).toBe(250);
    writer.pending[0]?.resolve();
    await settle();
    expect(budget.used).toBe(50);
    window.close();
    expect(budget.used).toBe(0);
  });

  it('gives everything back when a write fails (it will be read again), and not twice on reset', async () => {
    const budget = new ByteBudget(1000);
    const writer = new HeldWriter();
    const window = new InflightWindow(writer, new AbortController().signal, limits, hooks, budget);
    window.add('a'.repeat(300), 'stdout', 1n, 300);
    window.send(Cursor.from(undefined));
    window.add('b'.repeat(200), 'stdout', 2n, 200);
    window.send(Cursor.from(undefined));
    expect(budget.used).toBe(500);
    writer.pending[0]?.reject(new Error('spool closed'));
    await settle();
    expect(window.failed).toBe(true);
    expect(budget.used).toBe(0);
    writer.pending[1]?.resolve();
    window.reset();
    await settle();
    expect(budget.used).toBe(0);
  });
});
