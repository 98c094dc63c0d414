import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../../agent/pipeline/byte-budget.ts';

describe('byte budget shared by readers', () => {
  it('has room until what was taken reaches the limit, and again once enough is given back', async () => {
    const budget = new ByteBudget(100);
    budget.take(60);
    expect(budget.exhausted).toBe(false);
    await budget.room();
    budget.take(60);
    expect(budget.exhausted).toBe(true);
    let resumed = 0;
    const waiting = [budget.room().then(() => resumed++), budget.room().then(() => resumed++)];
    await Promise.resolve();
    expect(budget.stats()).toMatchObject({ used: 120, peak: 120, paused: 2, waits: 2 });
    budget.give(10);
    await Promise.resolve();
    expect(resumed).toBe(0);
    budget.give(30);
    await Promise.all(waiting);
    expect(resumed).toBe(2);
    expect(budget.stats()).toMatchObject({ used: 80, paused: 0 });
  });

  it('lets a waiting reader go when its signal is aborted (a stop), and refuses a limit that bounds nothing', async () => {
    const budget = new ByteBudget(10);
    budget.take(10);
    const stop = new AbortController();
    const waiting = budget.room(stop.signal);
    stop.abort();
    await waiting;
    expect(budget.stats().paused).toBe(0);
    expect(() => new ByteBudget(0)).toThrow(RangeError);
  });
});
