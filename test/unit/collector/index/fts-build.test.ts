import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { event, indexDir, messages, openIndex, writeBundle } from './helpers.ts';

const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
const events = Array.from({ length: 6000 }, (_, i) =>
  event({
    line: i + 1,
    time: new Date(Date.UTC(2026, 2, 1) + ((i * 7919) % 6000) * 250).toISOString(),
    message: `${words[i % 8]} ${words[(i >> 3) % 8]} item-${i} ${i % 11 === 0 ? '10.0.0.1' : 'host.local'}`,
    level: i % 5 === 0 ? 'error' : 'info',
    container: i % 3 === 0 ? 'api' : 'worker',
  }),
);

const segmentsIn = (path: string, table = 'fts_1_idx') => {
  if (!existsSync(path)) return 0;
  const db = new DatabaseSync(path, { readOnly: true, timeout: 10_000 });
  try {
    const exists = db.prepare('SELECT 1 FROM sqlite_schema WHERE name = ?').get(table);
    return exists ? (db.prepare(`SELECT count(DISTINCT segid) AS n FROM ${table}`).get() as { n: number }).n : 0;
  } finally {
    db.close();
  }
};

describe('the index built by the builder thread', () => {
  it('is copied segment by segment while the bundle is written, passes FTS5’s integrity check, and answers as an index built in place', async () => {
    const threaded = indexDir();
    const inPlace = indexDir();
    const a = openIndex(threaded, { batchRows: 300, segmentRows: 1000 });
    const b = openIndex(inPlace, { batchRows: 100_000 });
    const writer = await a.writer('acme', 'b1');
    writer.add(events.slice(0, 5700));
    // Once the builder has finished segments, the next batch copies them into the tenant file, still invisible.
    while (segmentsIn(join(threaded, 'acme.db.build-1')) < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    writer.add(events.slice(5700));
    expect(segmentsIn(join(threaded, 'acme.db'))).toBeGreaterThanOrEqual(2);
    expect((await a.search({ tenants: ['acme'], q: '', filters: {}, limit: 1 })).total).toBe(0);
    await writer.commit();
    await writeBundle(b, 'acme', 'b1', events);
    expect(readdirSync(threaded).filter((name) => name.includes('.build-'))).toEqual([]);

    const db = new DatabaseSync(join(threaded, 'acme.db'));
    db.exec(`INSERT INTO fts_1 (fts_1) VALUES ('integrity-check')`);
    db.close();
    expect(segmentsIn(join(threaded, 'acme.db'))).toBeGreaterThan(2);
    expect(segmentsIn(join(inPlace, 'acme.db'))).toBe(1);

    for (const q of [
      'alpha',
      'alpha beta',
      '"beta gamma"',
      'ep*',
      '10.0.0.1',
      'item-42',
      'level:error -container:api',
      'NOT zeta',
      '',
    ]) {
      for (const order of ['asc', 'desc'] as const) {
        const request = { tenants: ['acme'], q, filters: {}, limit: 50, order };
        const [x, y] = [await a.search(request), await b.search(request)];
        expect(x.total, q).toBe(y.total);
        expect(messages(x.hits), q).toEqual(messages(y.hits));
      }
      expect(await a.histogram({ tenants: ['acme'], q, filters: {} })).toEqual(
        await b.histogram({ tenants: ['acme'], q, filters: {} }),
      );
    }
    await a.close();
    await b.close();
  });
});
