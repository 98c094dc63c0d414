import { describe, expect, it } from 'vitest';
import { chooseInterval } from '../../../../collector/index/sqlite/histogram.ts';
import { QueryError } from '../../../../collector/index/types.ts';
import { event, indexDir, openIndex, writeBundle } from './helpers.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('chooseInterval', () => {
  it.each([
    [0, 60, 1],
    [59, 60, 1],
    [3000, 60, 50],
    [60_000, 60, 1000],
    [10 * MIN, 60, 10_000],
    [59 * MIN, 60, MIN],
    [6 * HOUR, 60, 10 * MIN],
    [DAY, 60, 30 * MIN],
    [DAY, 24, HOUR],
    [7 * DAY, 60, 3 * HOUR],
    [365 * DAY, 60, 7 * DAY],
    [100 * 365 * DAY, 60, 2 * 365 * DAY],
    [1000 * 365 * DAY, 60, 17 * 365 * DAY],
  ])('a span of %i ms in %i buckets: %i ms', (span, buckets, interval) => {
    expect(chooseInterval(span, buckets)).toBe(interval);
  });
});

/** The expected buckets, counted here from the times. */
function expected(times: readonly number[], interval: number) {
  const first = Math.min(...times);
  const last = Math.max(...times);
  const origin = Math.floor(first / interval) * interval;
  const counts = new Map<number, number>();
  for (const time of times) {
    const b = Math.floor((time - origin) / interval);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return Array.from({ length: Math.floor((last - origin) / interval) + 1 }, (_, b) => ({
    start: new Date(origin + b * interval).toISOString(),
    count: counts.get(b) ?? 0,
  }));
}

describe('histogram', () => {
  it('counts matches per round bucket over the span of the matches, with the empty buckets between', async () => {
    const index = openIndex();
    const start = Date.UTC(2026, 2, 1, 10);
    // Two bursts an hour apart, times given with offsets; some events match "error".
    const times = [0, 1500, 61_000, 62_000, 119_999, 3_600_000, 3_600_001, 3_660_000].map((t) => start + t);
    await writeBundle(
      index,
      'acme',
      'b1',
      times.map((time, i) =>
        event({
          line: i + 1,
          message: i % 3 === 0 ? 'error here' : 'fine',
          time: new Date(time + 2 * HOUR).toISOString().replace('Z', '+02:00'),
        }),
      ),
    );
    const all = await index.histogram({ tenants: ['acme'], q: '', filters: {}, buckets: 60 });
    // 61 minutes in at most 60 buckets: 5 minutes each, 13 buckets, most of them empty.
    expect(all.interval_ms).toBe(5 * MIN);
    expect(all.buckets).toEqual(expected(times, 5 * MIN));
    expect(all.buckets).toHaveLength(13);
    expect(all.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(times.length);

    const errors = await index.histogram({ tenants: ['acme'], q: 'error', filters: {}, buckets: 10 });
    const errorTimes = times.filter((_, i) => i % 3 === 0);
    expect(errors.interval_ms).toBe(chooseInterval(Math.max(...errorTimes) - Math.min(...errorTimes), 10));
    expect(errors.buckets).toEqual(expected(errorTimes, errors.interval_ms));

    // A span of seconds gets sub-second buckets (read from the events' exact times).
    const burst = await index.histogram({
      tenants: ['acme'],
      q: '',
      filters: { from: new Date(start).toISOString(), to: new Date(start + 2000).toISOString() },
      buckets: 30,
    });
    expect(burst.interval_ms).toBe(50);
    expect(burst.buckets).toEqual(expected([start, start + 1500], 50));

    expect(await index.histogram({ tenants: ['acme'], q: 'nothing', filters: {} })).toEqual({
      interval_ms: 1,
      buckets: [],
    });
    await expect(index.histogram({ tenants: ['acme'], q: '', filters: {}, buckets: 0 })).rejects.toBeInstanceOf(
      QueryError,
    );
    await index.close();
  });

  it('agrees with counting by hand on a large bundle, through every path (per bucket, grouped, all, filtered, bounded)', async () => {
    const index = openIndex(indexDir(), { batchRows: 5000 });
    const start = Date.UTC(2026, 2, 1, 0, 0, 7);
    const times: number[] = [];
    const events = Array.from({ length: 30_000 }, (_, i) => {
      // Uneven: a quiet night, a busy morning, nothing at noon.
      const t = start + (i < 10_000 ? i * 1900 : 10_000 * 1900 + (i - 10_000) * 301);
      times.push(t);
      return event({
        line: i + 1,
        time: new Date(t).toISOString(),
        message: i % 7 === 0 ? `disk warning ${i}` : `ok ${i}`,
        level: i % 7 === 0 ? 'warn' : 'info',
      });
    });
    await writeBundle(index, 'acme', 'b1', events);
    const cases = [
      { q: '', filters: {}, pick: () => true },
      { q: 'ok', filters: {}, pick: (i: number) => i % 7 !== 0 },
      { q: 'disk', filters: {}, pick: (i: number) => i % 7 === 0 },
      { q: '', filters: { level: ['warn'] }, pick: (i: number) => i % 7 === 0 },
      {
        q: 'ok',
        filters: { from: new Date(start + 5 * HOUR + 123).toISOString(), to: new Date(start + 7 * HOUR).toISOString() },
        pick: (i: number) =>
          i % 7 !== 0 && (times[i] as number) >= start + 5 * HOUR + 123 && (times[i] as number) < start + 7 * HOUR,
      },
    ];
    for (const c of cases) {
      for (const buckets of [60, 7, 500]) {
        const picked = times.filter((_, i) => c.pick(i));
        const result = await index.histogram({ tenants: ['acme'], q: c.q, filters: c.filters, buckets });
        const interval = chooseInterval(Math.max(...picked) - Math.min(...picked), buckets);
        expect({ q: c.q, buckets, interval: result.interval_ms }).toEqual({ q: c.q, buckets, interval });
        expect(result.buckets).toEqual(expected(picked, interval));
      }
    }
    await index.close();
  }, 60_000);

  it('adds up the tenants asked for', async () => {
    const index = openIndex();
    const time = '2026-03-01T10:00:00Z';
    await writeBundle(index, 'acme', 'b1', [event({ time }), event({ time, line: 2 })]);
    await writeBundle(index, 'beta', 'b1', [event({ time, tenant: 'beta' })]);
    const result = await index.histogram({ tenants: ['acme', 'beta', 'gamma'], q: '', filters: {} });
    expect(result.buckets).toEqual([{ start: '2026-03-01T10:00:00.000Z', count: 3 }]);
    await index.close();
  });
});
