import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteIndex } from '../../../../collector/index/sqlite/index.ts';
import { type FilterField, filterFields, type IndexedEvent, QueryError } from '../../../../collector/index/types.ts';
import { event, indexDir, openIndex, writeBundle } from './helpers.ts';
import { parityEvents } from './parity-cases.ts';

/** The facets counted here from the events a search returns. */
function tally(events: readonly IndexedEvent[], fields: readonly FilterField[], size: number) {
  const fieldOf = (e: IndexedEvent, field: FilterField): string | undefined =>
    ({
      site: e.host.name,
      bundle: e.shiplog.bundle,
      container: e.container?.name,
      service: e.service?.name,
      stream: e.log?.stream,
      level: e.log?.level,
      source: e.shiplog.source,
      file: e.shiplog.file,
    })[field];
  const out: Record<string, { value: string; count: number }[]> = {};
  for (const field of fields) {
    const counts = new Map<string, number>();
    for (const e of events) {
      const value = fieldOf(e, field);
      if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    out[field] = [...counts]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1))
      .slice(0, size);
  }
  return out;
}

describe('facets', () => {
  let index: SqliteIndex;
  beforeAll(async () => {
    index = openIndex(indexDir(), { batchRows: 3000 });
    for (const bundle of ['b1', 'b2', 'b3']) {
      const events = parityEvents.filter((e) => e.shiplog.bundle === bundle);
      await writeBundle(index, events[0]?.shiplog.tenant as string, bundle, events);
    }
    // A large bundle, so that counting per value in FTS5 is used too.
    const large = Array.from({ length: 24_000 }, (_, i) =>
      event({
        bundle: 'big',
        line: i + 1,
        time: new Date(Date.UTC(2026, 2, 2) + i * 100).toISOString(),
        message: i % 3 === 0 ? `slow request ${i}` : `fast request ${i}`,
        level: ['info', 'warn', 'error', 'debug'][i % 4] as string,
        container: ['api', 'db', 'cache'][i % 5 === 0 ? 1 : i % 2 === 0 ? 0 : 2] as string,
        file: `containers/${['api', 'db', 'cache'][i % 5 === 0 ? 1 : i % 2 === 0 ? 0 : 2]}/container.log`,
      }),
    );
    await writeBundle(index, 'acme', 'big', large);
  }, 60_000);
  afterAll(() => index.close());

  const cases: { q: string; filters?: Record<string, unknown> }[] = [
    { q: '' },
    { q: 'connection' },
    { q: 'NOT connection' },
    { q: 'request' },
    { q: 'slow' },
    { q: 'slow', filters: { level: ['error', 'warn'] } },
    { q: '', filters: { container: ['db'] } },
    { q: '', filters: { from: '2026-03-02T00:10:00Z', to: '2026-03-02T00:30:00.05Z' } },
    { q: 'fast', filters: { bundle: ['big'], from: '2026-03-02T00:10:00Z' } },
    { q: 'level:error OR container:cache' },
  ];
  it.each(cases)('counts the values of every field among the matches of %j', async ({ q, filters = {} }) => {
    const request = { tenants: ['acme', 'beta'], q, filters };
    const matches = await allMatches(index, request);
    for (const size of [10, 2]) {
      const result = await index.facets({ ...request, fields: [...filterFields], size });
      expect(result).toEqual(tally(matches, filterFields, size));
    }
  });

  it('answers only the fields asked for, and checks them', async () => {
    const result = await index.facets({ tenants: ['acme'], q: 'connection', filters: {}, fields: ['level'] });
    expect(result).toEqual({
      level: [
        { value: 'error', count: 2 },
        { value: 'warn', count: 1 },
      ],
    });
    await expect(
      index.facets({ tenants: ['acme'], q: '', filters: {}, fields: ['colour' as FilterField] }),
    ).rejects.toBeInstanceOf(QueryError);
    await expect(
      index.facets({ tenants: ['acme'], q: '', filters: {}, fields: ['level'], size: 0 }),
    ).rejects.toBeInstanceOf(QueryError);
  });
});

async function allMatches(
  index: SqliteIndex,
  request: { tenants: string[]; q: string; filters: Record<string, unknown> },
) {
  const out: IndexedEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await index.search({ ...request, limit: 1000, ...(cursor && { cursor }) });
    out.push(...page.hits.map((hit) => hit.event));
    cursor = page.next;
  } while (cursor);
  return out;
}
