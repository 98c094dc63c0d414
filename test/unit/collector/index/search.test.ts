import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteIndex } from '../../../../collector/index/sqlite/index.ts';
import { type IndexedEvent, QueryError } from '../../../../collector/index/types.ts';
import { allPages, event, fileEvents, indexDir, messages, openIndex, writeBundle } from './helpers.ts';
import { parityCases, parityErrors, parityEvents } from './parity-cases.ts';

describe('SqliteIndex search: the parity table', () => {
  let index: SqliteIndex;
  beforeAll(async () => {
    index = openIndex();
    for (const bundle of ['b1', 'b2', 'b3']) {
      const events = parityEvents.filter((e) => e.shiplog.bundle === bundle);
      await writeBundle(index, events[0]?.shiplog.tenant as string, bundle, events);
    }
  });
  afterAll(() => index.close());

  it.each(parityCases.map((c) => [c.why, c] as const))('%s', async (_why, c) => {
    const request = { tenants: ['acme'], q: c.q, filters: c.filters ?? {}, limit: 1000 };
    const result = await index.search(request);
    expect(messages(result.hits)).toEqual(c.hits);
    expect(result.total).toBe(c.hits.length);
    expect(result.next).toBeUndefined();
    const desc = await index.search({ ...request, order: 'desc' });
    expect(messages(desc.hits)).toEqual([...c.hits].reverse());
  });

  it('pages through every case with every page size, each hit exactly once, in both orders', async () => {
    for (const c of parityCases) {
      for (const limit of [1, 2, 3, 7]) {
        for (const order of ['asc', 'desc'] as const) {
          const request = { tenants: ['acme'], q: c.q, filters: c.filters ?? {}, limit, order };
          const { total, hits, pages } = await allPages(index, request);
          const expected = order === 'asc' ? c.hits : [...c.hits].reverse();
          expect({ q: c.q, limit, order, hits: messages(hits) }).toEqual({ q: c.q, limit, order, hits: expected });
          expect(total).toBe(c.hits.length);
          expect(new Set(hits.map((hit) => hit.id)).size).toBe(hits.length);
          expect(pages).toBe(Math.max(1, Math.ceil(c.hits.length / limit)));
        }
      }
    }
  });

  it('returns each event exactly as it was added, with an id naming its tenant', async () => {
    const result = await index.search({ tenants: ['acme', 'beta'], q: '', filters: {}, limit: 1000 });
    const byMessage = new Map(parityEvents.map((e) => [e.message, e]));
    expect(result.hits).toHaveLength(parityEvents.length);
    for (const hit of result.hits) {
      expect(hit.event).toEqual(byMessage.get(hit.event.message));
      expect(hit.id.startsWith(`${hit.event.shiplog.tenant}.`)).toBe(true);
    }
  });

  it('searches several tenants at once, merged in time order, with the sum as total', async () => {
    const result = await index.search({ tenants: ['acme', 'beta'], q: 'connection', filters: {}, limit: 2 });
    expect(result.total).toBe(4);
    expect(messages(result.hits)).toEqual(['connection refused by peer 10.0.0.1', 'connection reset by peer']);
    const rest = await index.search({
      tenants: ['acme', 'beta'],
      q: 'connection',
      filters: {},
      limit: 2,
      cursor: result.next as string,
    });
    expect(messages(rest.hits)).toEqual(['Connection timeout after 30s', 'connection refused by beta peer']);
    expect(rest.next).toBeUndefined();
  });

  it('highlights the positive terms, prefixes and phrases it matched, not the negated ones', async () => {
    const result = await index.search({
      tenants: ['acme'],
      q: 'conn* "by peer" -timeout OR 10.0.0.1',
      filters: {},
      limit: 10,
    });
    const refused = result.hits.find((hit) => hit.event.message.startsWith('connection refused'));
    const text = refused?.event.message ?? '';
    expect(refused?.highlight.message.map(([start, end]) => text.slice(start, end))).toEqual([
      'connection',
      'by peer',
      '10.0.0.1',
    ]);
    const unicode = await index.search({ tenants: ['acme'], q: 'ÜNÏCÖDÉ OR 🤔', filters: {}, limit: 10 });
    expect(unicode.hits.map((hit) => hit.highlight.message.map(([s, e]) => hit.event.message.slice(s, e)))).toEqual([
      ['Ünïcödé'],
      ['🤔'],
    ]);
  });

  it('reports malformed queries as QueryError with the offset', async () => {
    for (const { q, at } of parityErrors) {
      const error = await index.search({ tenants: ['acme'], q, filters: {}, limit: 10 }).catch((e: unknown) => e);
      expect(error, q).toBeInstanceOf(QueryError);
      expect((error as QueryError).at, q).toBe(at);
    }
  });
});

describe('SqliteIndex search: requests', () => {
  it('answers nothing, and creates nothing, for a tenant without an index', async () => {
    const dir = indexDir();
    const index = openIndex(dir);
    expect(await index.search({ tenants: ['nobody'], q: 'x', filters: {}, limit: 10 })).toEqual({ total: 0, hits: [] });
    expect(await index.histogram({ tenants: ['nobody'], q: '', filters: {} })).toMatchObject({ buckets: [] });
    expect(await index.facets({ tenants: ['nobody'], q: '', filters: {}, fields: ['level'] })).toEqual({ level: [] });
    expect(await index.context({ tenant: 'nobody', id: 'nobody.1.1', before: 1, after: 1 })).toEqual({ events: [] });
    await index.deleteBundle('nobody', 'b1');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    await index.close();
  });

  it('rejects a limit outside 1..1000, bad filters, bad order and bad tenant names as QueryError', async () => {
    const index = openIndex();
    const base = { tenants: ['acme'], q: '', filters: {}, limit: 10 };
    for (const request of [
      { ...base, limit: 0 },
      { ...base, limit: 1001 },
      { ...base, limit: 1.5 },
      { ...base, filters: { from: 'yesterday' } },
      { ...base, filters: { level: 'error' } },
      { ...base, filters: { colour: ['red'] } },
      { ...base, order: 'sideways' },
      { ...base, tenants: ['../etc'] },
      { ...base, tenants: [] },
    ]) {
      await expect(index.search(request as never), JSON.stringify(request)).rejects.toBeInstanceOf(QueryError);
    }
    await index.close();
  });

  it('rejects forged, foreign and stale cursors as QueryError', async () => {
    const index = openIndex();
    await writeBundle(index, 'acme', 'b1', fileEvents(5));
    const first = await index.search({ tenants: ['acme'], q: 'line', filters: {}, limit: 2 });
    const cursor = first.next as string;
    const forged = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64url');
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as { f: string; k: unknown[] };
    for (const bad of [
      'not-a-cursor!',
      forged({ v: 1, f: decoded.f, k: [1, 2] }),
      forged({ v: 1, f: decoded.f, k: [1, -1, 'acme', 1, 1] }),
      forged({ v: 1, f: decoded.f, k: [1, 0, '../x', 1, 1] }),
      forged({ v: 2, f: decoded.f, k: decoded.k }),
      forged({ v: 1, f: 'other-query', k: decoded.k }),
      Buffer.from('{"v":1').toString('base64url'),
    ]) {
      await expect(
        index.search({ tenants: ['acme'], q: 'line', filters: {}, limit: 2, cursor: bad }),
      ).rejects.toBeInstanceOf(QueryError);
    }
    // The same cursor with another query, order or tenant list is refused too.
    for (const other of [{ q: 'line OR x' }, { order: 'desc' as const }, { tenants: ['acme', 'beta'] }]) {
      await expect(
        index.search({ tenants: ['acme'], q: 'line', filters: {}, limit: 2, cursor, ...other }),
      ).rejects.toBeInstanceOf(QueryError);
    }
    await index.close();
  });

  it('orders by time to the nanosecond across offsets, then by bundle and line for equal times, through every page', async () => {
    const index = openIndex(indexDir(), { batchRows: 97 });
    // Three bundles of 600 events whose times collide, cross offsets and come in shuffled order.
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const offsets = [0, 330, -480, 0];
    const written: { event: IndexedEvent; key: number }[] = [];
    for (const bundle of ['b1', 'b2', 'b3']) {
      const events = Array.from({ length: 600 }, (_, i) => {
        const ms = Date.UTC(2026, 2, 1, 10) + Math.floor(random() * 120) * 500;
        const nanos = Math.floor(random() * 3) * 333;
        const offset = offsets[i % offsets.length] as number;
        const local = new Date(ms + offset * 60_000).toISOString();
        const zone =
          i % 4 === 0
            ? 'Z'
            : `${offset < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;
        const time = `${local.slice(0, 23)}${String(nanos).padStart(6, '0')}${zone}`;
        const added = event({ bundle, line: i + 1, message: `${bundle} ${i + 1}`, time });
        written.push({ event: added, key: ms * 1e6 + nanos });
        return added;
      });
      await writeBundle(index, 'acme', bundle, events);
    }
    const sorted = [...written]
      .sort(
        (a, b) =>
          a.key - b.key ||
          a.event.shiplog.bundle.localeCompare(b.event.shiplog.bundle) ||
          a.event.shiplog.line - b.event.shiplog.line,
      )
      .map((entry) => entry.event);
    for (const order of ['asc', 'desc'] as const) {
      const { total, hits } = await allPages(index, { tenants: ['acme'], q: '', filters: {}, limit: 37, order });
      expect(total).toBe(1800);
      const expected = order === 'asc' ? sorted : [...sorted].reverse();
      expect(messages(hits)).toEqual(expected.map((e) => e.message));
    }
    await index.close();
  });
});
