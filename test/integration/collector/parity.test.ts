// The two index backends give the same answers: the same bundles go into
// SQLite and into the real test Elasticsearch (the lean 8.19 distribution),
// and every search of the parity table, paging, histograms, facets and
// context must agree (hit ids differ between backends; what a hit is, its
// bundle, file and line and the event itself, may not). Then what only the
// Elasticsearch backend has to prove on its own: a bundle appears all at
// once, a replaced one disappears at the same moment, an aborted or crashed
// write leaves nothing, a deleted bundle's documents go, and tenants stay
// apart.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatContainerLine } from '../../../bundle/container-log.ts';
import { ElasticsearchIndex } from '../../../collector/index/elasticsearch/index.ts';
import { SqliteIndex } from '../../../collector/index/sqlite/index.ts';
import type { Index, IndexedEvent, SearchHit, SearchRequest, SearchResult } from '../../../collector/index/types.ts';
import { filterFields, QueryError } from '../../../collector/index/types.ts';
import { bundleEvents } from '../../../collector/ingest/events.ts';
import { readFacts } from '../../../collector/ingest/facts.ts';
import { unpackBundle } from '../../../collector/ingest/unpack.ts';
import { esUrl, requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';
import { buildBundle } from '../../unit/agent/bundle/seal/make-bundle.ts';
import { parityCases, parityErrors, parityEvents } from '../../unit/collector/index/parity-cases.ts';

const up = requireService('elasticsearch');
const prefix = `shiplog-test-${randomUUID().slice(0, 8)}`;

/** What a hit is, apart from its id: where the event sits. */
function places(hits: readonly { readonly event: IndexedEvent }[]): string[] {
  return hits.map((hit) => `${hit.event.shiplog.bundle}|${hit.event.shiplog.file}|${hit.event.shiplog.line}`);
}

async function allPages(index: Index, request: Omit<SearchRequest, 'cursor'>) {
  const hits: SearchHit[] = [];
  let page: SearchResult = await index.search(request);
  const total = page.total;
  hits.push(...page.hits);
  while (page.next) {
    page = await index.search({ ...request, cursor: page.next });
    expect(page.total).toBe(total);
    hits.push(...page.hits);
  }
  return { total, hits };
}

async function writeBundle(index: Index, tenant: string, bundle: string, events: readonly IndexedEvent[]) {
  const writer = await index.writer(tenant, bundle);
  for (let i = 0; i < events.length; i += 1000) writer.add(events.slice(i, i + 1000));
  await writer.commit();
}

function rebundle(events: readonly IndexedEvent[], tenant: string, bundle: string): IndexedEvent[] {
  return events.map((event) => ({ ...event, shiplog: { ...event.shiplog, tenant, bundle } }));
}

/** A real sealed bundle, unpacked and read by the ingest's own code. */
async function realBundleEvents(tenant: string, bundle: string): Promise<IndexedEvent[]> {
  const dir = tempDir('shiplog-parity-');
  const words = [
    'connection',
    'refused',
    'timeout',
    'user',
    'payment',
    'settled',
    'Ünïcödé',
    '日本語',
    'id=42',
    '10.0.0.1',
  ];
  const start = Date.UTC(2024, 2, 14, 9);
  const container: string[] = [];
  for (let i = 0; i < 3000; i++) {
    // Times repeat (three lines per millisecond group) and go back now and then, as a restarted clock does.
    const ms = start + Math.floor(i / 3) * 997 - (i % 250 === 0 ? 60_000 : 0);
    const nanos = String((i * 7919) % 1_000_000).padStart(6, '0');
    const stamp = `${new Date(ms).toISOString().slice(0, 23)}${i % 3 === 0 ? '000000' : nanos}Z`;
    const level = i % 17 === 0 ? 'ERROR' : i % 5 === 0 ? 'WARN' : 'INFO';
    // Now and then a word longer than the index keeps as one term (a token, a hash): matched as its pieces.
    const blob = i % 97 === 0 ? ` token=${'ab12'.repeat(100 + (i % 5))}${i % 2 ? 'ff' : ''}` : '';
    const message = `${level} ${words[i % words.length]} ${words[(i * 7) % words.length]} request ${i} of user-${i % 13}${blob}`;
    container.push(formatContainerLine(stamp, i % 4 === 0 ? 'stderr' : 'stdout', message));
  }
  const auth = Array.from(
    { length: 400 },
    (_, i) =>
      `Mar 14 0${Math.floor(i / 60) % 10}:${String(i % 60).padStart(2, '0')}:07 bank-host-01 sshd[${100 + (i % 9)}]: ${i % 3 === 0 ? 'Failed' : 'Accepted'} publickey for user-${i % 13} from 10.0.0.${i % 7}`,
  );
  const agent = Array.from({ length: 200 }, (_, i) =>
    JSON.stringify({ level: i % 10 === 0 ? 50 : 30, time: start + i * 1500, msg: `spool segment ${i} sealed` }),
  );
  const built = await buildBundle(dir, {
    extra: {
      'containers/ledger/container.log': Buffer.from(`${container.join('\n')}\n`),
      'containers/ledger/inspect.json': Buffer.from(
        JSON.stringify({
          Name: '/ledger',
          Id: 'f00dfeed'.repeat(8),
          Config: { Image: 'registry.vendor.example/ledger:2.1', Labels: { 'com.docker.compose.service': 'ledger' } },
        }),
      ),
      'syslog/auth.log': Buffer.from(`${auth.join('\n')}\n`),
      'agent/agent.log': Buffer.from(`${agent.join('\n')}\n`),
    },
  });
  const { verified, dir: unpacked } = await unpackBundle(built.path, { parent: join(dir, 'unpacked'), name: bundle });
  if (!unpacked) throw new Error('the bundle was verified but not unpacked');
  const facts = await readFacts(unpacked);
  const events: IndexedEvent[] = [];
  const place = {
    tenant,
    bundle,
    dir: unpacked,
    manifest: verified.manifest,
    ...(facts.timezone && { timezone: facts.timezone }),
  };
  for await (const batch of bundleEvents(place)) events.push(...batch);
  return events;
}

describe.skipIf(!up)('index parity: SQLite and Elasticsearch give the same answers', () => {
  let sqlite: SqliteIndex;
  let es: ElasticsearchIndex;
  let client: Client;

  beforeAll(async () => {
    client = new Client({ node: esUrl() });
    sqlite = new SqliteIndex(join(tempDir('shiplog-parity-'), 'index'));
    // Small bulk bodies, so that a bundle goes out in many requests, in parallel.
    es = new ElasticsearchIndex(
      { url: esUrl(), index_prefix: prefix },
      { writer: { bulkBytes: 64 * 1024 }, spillDir: tempDir('shiplog-parity-') },
    );
    const real = await realBundleEvents('gamma', 'real');
    expect(real.length).toBeGreaterThan(20_000);
    for (const index of [sqlite, es] as Index[]) {
      for (const bundle of ['b1', 'b2', 'b3']) {
        const events = parityEvents.filter((e) => e.shiplog.bundle === bundle);
        await writeBundle(index, events[0]?.shiplog.tenant as string, bundle, events);
      }
      await writeBundle(index, 'gamma', 'real', real);
      // The same events again as a second bundle: equal times across bundles, ordered by write.
      await writeBundle(index, 'gamma', 'again', rebundle(real.slice(0, 5000), 'gamma', 'again'));
    }
  }, 300_000);

  afterAll(async () => {
    await sqlite?.close();
    await es?.close();
    const indices = Object.keys(await client.indices.get({ index: `${prefix}-*` }));
    for (const index of indices) await client.indices.delete({ index });
    await client.indices.deleteIndexTemplate({ name: prefix }).catch(() => {});
    await client.close();
  });

  it.each(parityCases.map((c) => [c.why, c] as const))('the parity table: %s', async (_why, c) => {
    const request = { tenants: ['acme'], q: c.q, filters: c.filters ?? {}, limit: 1000 };
    for (const order of ['asc', 'desc'] as const) {
      const [left, right] = await Promise.all([sqlite.search({ ...request, order }), es.search({ ...request, order })]);
      const expected = order === 'asc' ? c.hits : [...c.hits].reverse();
      expect(right.hits.map((hit) => hit.event.message)).toEqual(expected);
      expect(places(right.hits)).toEqual(places(left.hits));
      expect(right.hits.map((hit) => hit.event)).toEqual(left.hits.map((hit) => hit.event));
      expect(right.hits.map((hit) => hit.highlight)).toEqual(left.hits.map((hit) => hit.highlight));
      expect(right.total).toBe(left.total);
      expect(right.next).toBeUndefined();
    }
  });

  it('pages through every case of the table the same way, with every page size, in both orders', async () => {
    for (const c of parityCases) {
      for (const limit of [1, 4]) {
        for (const order of ['asc', 'desc'] as const) {
          const request = { tenants: ['acme', 'beta'], q: c.q, filters: c.filters ?? {}, limit, order };
          const [left, right] = await Promise.all([allPages(sqlite, request), allPages(es, request)]);
          expect({ q: c.q, limit, order, hits: places(right.hits) }).toEqual({
            q: c.q,
            limit,
            order,
            hits: places(left.hits),
          });
          expect(right.total).toBe(left.total);
          expect(new Set(right.hits.map((hit) => hit.id)).size).toBe(right.hits.length);
        }
      }
    }
  }, 120_000);

  const realQueries = [
    '',
    'connection',
    'conn*',
    '"connection refused"',
    'user',
    'user-3',
    'user-1*',
    'ünïcödé OR 日本語',
    '10.0.0.1',
    '10.0.0*',
    'id=42 -timeout',
    'NOT request',
    'publickey AND (failed OR accepted)',
    'level:error',
    'level:warn OR stream:stderr',
    'source:syslog',
    'source:host',
    'file:SUMMARY.txt',
    'container:ledger service:ledger',
    'bundle:again',
    'spool segment',
    'syslog line',
    '"syslog line"',
    `${'ab12'.repeat(100)}`,
    `${'ab12'.repeat(102)}ff`,
    `${'ab12'.repeat(75)}*`,
    `token=${'ab12'.repeat(60)}*`,
    `"request 194 of user" OR ${'ab12'.repeat(101)}*`,
  ];

  it('agrees on a real bundle, through every page, with many equal times, across tenants', async () => {
    for (const q of realQueries) {
      for (const order of ['asc', 'desc'] as const) {
        const request = { tenants: ['acme', 'gamma', 'beta'], q, filters: {}, limit: 1000, order };
        const [left, right] = await Promise.all([allPages(sqlite, request), allPages(es, request)]);
        // Every query finds something (an empty answer would agree too easily).
        expect(left.total, q).toBeGreaterThan(0);
        expect(right.total, q).toBe(left.total);
        expect({ q, order, places: places(right.hits) }).toEqual({ q, order, places: places(left.hits) });
        expect(right.hits.map((hit) => hit.event)).toEqual(left.hits.map((hit) => hit.event));
      }
    }
  }, 240_000);

  it('agrees on filters and time ranges over the real bundle', async () => {
    const filterSets = [
      { level: ['error', 'warn'] },
      { container: ['ledger'], stream: ['stderr'] },
      { source: ['syslog', 'agent'] },
      { from: '2024-03-14T09:10:00Z', to: '2024-03-14T09:20:00.5+00:00' },
      { from: '2024-03-14T10:00:00+01:00', to: '2024-03-14T09:00:02.991000001Z', bundle: ['real'] },
    ];
    for (const filters of filterSets) {
      for (const q of ['', 'user', 'NOT payment']) {
        const request = { tenants: ['gamma'], q, filters, limit: 777 };
        const [left, right] = await Promise.all([allPages(sqlite, request), allPages(es, request)]);
        expect(right.total, JSON.stringify({ q, filters })).toBe(left.total);
        expect(places(right.hits)).toEqual(places(left.hits));
      }
    }
  });

  it('draws the same histograms', async () => {
    const cases = [
      { tenants: ['acme'], q: '' },
      { tenants: ['acme'], q: 'connection' },
      { tenants: ['acme', 'beta'], q: 'NOT level:info' },
      { tenants: ['gamma'], q: '' },
      { tenants: ['gamma'], q: 'payment' },
      { tenants: ['gamma', 'acme'], q: 'user', filters: { from: '2024-03-14T09:05:00Z' } },
      { tenants: ['gamma'], q: 'nothing-matches-this' },
    ];
    for (const c of cases) {
      for (const buckets of [60, 7, 500, 1]) {
        const request = { tenants: c.tenants, q: c.q, filters: c.filters ?? {}, buckets };
        const [left, right] = await Promise.all([sqlite.histogram(request), es.histogram(request)]);
        expect({ ...c, buckets, result: right }).toEqual({ ...c, buckets, result: left });
      }
    }
  });

  it('counts the same facets', async () => {
    const cases = [
      { tenants: ['acme', 'beta'], q: '' },
      { tenants: ['acme'], q: 'connection' },
      { tenants: ['acme'], q: 'NOT connection', filters: { level: ['info', 'error'] } },
      { tenants: ['gamma'], q: '' },
      { tenants: ['gamma', 'acme', 'beta'], q: 'user OR level:error' },
      { tenants: ['gamma'], q: 'publickey', filters: { from: '2024-03-14T03:00:00Z' } },
    ];
    for (const c of cases) {
      for (const size of [10, 2]) {
        const request = { tenants: c.tenants, q: c.q, filters: c.filters ?? {}, fields: [...filterFields], size };
        const [left, right] = await Promise.all([sqlite.facets(request), es.facets(request)]);
        expect({ ...c, size, result: right }).toEqual({ ...c, size, result: left });
      }
    }
  });

  it('reads the same context around the same hits', async () => {
    for (const q of ['"request 1500"', '"request 0 "', 'failed', '"spool segment 199"', '"syslog line"']) {
      const request = { tenants: ['gamma'], q, filters: { bundle: ['real'] }, limit: 3 };
      const [left, right] = await Promise.all([sqlite.search(request), es.search(request)]);
      expect(places(right.hits)).toEqual(places(left.hits));
      for (let i = 0; i < right.hits.length; i++) {
        const [a, b] = await Promise.all([
          sqlite.context({ tenant: 'gamma', id: left.hits[i]?.id as string, before: 4, after: 6 }),
          es.context({ tenant: 'gamma', id: right.hits[i]?.id as string, before: 4, after: 6 }),
        ]);
        expect(places(b.events)).toEqual(places(a.events));
        expect(b.events.map((entry) => entry.event)).toEqual(a.events.map((entry) => entry.event));
      }
    }
  });

  it('reports the same query errors, at the same offsets', async () => {
    for (const { q, at } of parityErrors) {
      const error = await es.search({ tenants: ['acme'], q, filters: {}, limit: 10 }).catch((e: unknown) => e);
      expect(error, q).toBeInstanceOf(QueryError);
      expect((error as QueryError).at, q).toBe(at);
    }
  });

  it('keeps one index per tenant, named <prefix>-<tenant>', async () => {
    const indices = Object.keys(await client.indices.get({ index: `${prefix}-*` })).sort();
    expect(indices).toEqual(expect.arrayContaining([`${prefix}-acme`, `${prefix}-beta`, `${prefix}-gamma`]));
  });
});

describe.skipIf(!up)('Elasticsearch index: visibility, deletion, crashes and tenants', () => {
  const vprefix = `${prefix}-v`;
  let es: ElasticsearchIndex;
  let client: Client;
  const everything = (tenant: string) => ({ tenants: [tenant], q: '', filters: {}, limit: 1000 });

  function fileEvents(tenant: string, bundle: string, count: number, word: string): IndexedEvent[] {
    const start = Date.UTC(2026, 2, 1, 10);
    return Array.from({ length: count }, (_, i) => ({
      '@timestamp': new Date(start + i * 1000).toISOString(),
      message: `${word} ${i + 1}`,
      event: { dataset: 'docker.container_logs' },
      host: { name: 'node01' },
      log: { level: 'info', stream: 'stdout' },
      container: { name: 'app' },
      shiplog: { tenant, bundle, source: 'container', file: 'containers/app/container.log', line: i + 1 },
    }));
  }

  /** Documents of a tenant's index (all generations, visible or not), counted after a refresh. */
  async function documents(
    tenant: string,
    query: Record<string, unknown> = { exists: { field: 'shiplog_index.gen' } },
  ) {
    const index = `${vprefix}-${tenant}`;
    await client.indices.refresh({ index });
    return (await client.count({ index, query })).count;
  }

  async function control(tenant: string) {
    const doc = await client.get({ index: `${vprefix}-${tenant}`, id: 'control' });
    return (doc._source as { shiplog_control: { visible: [string, number][]; writing: unknown[] } }).shiplog_control;
  }

  beforeAll(() => {
    client = new Client({ node: esUrl() });
    es = new ElasticsearchIndex(
      { url: esUrl(), index_prefix: vprefix },
      { writer: { bulkBytes: 2048 }, spillDir: tempDir('shiplog-es-') },
    );
  });

  afterAll(async () => {
    await es?.close();
    const indices = Object.keys(await client.indices.get({ index: `${vprefix}-*` }));
    for (const index of indices) await client.indices.delete({ index });
    await client.indices.deleteIndexTemplate({ name: vprefix }).catch(() => {});
    await client.close();
  });

  it('shows nothing of a bundle before commit(), then all of it at once', async () => {
    const writer = await es.writer('vis', 'b1');
    writer.add(fileEvents('vis', 'b1', 300, 'first'));
    // The cluster holds (and, refreshed, could search) some of the events: still nothing is visible.
    while ((await documents('vis', { term: { 'shiplog.bundle': 'b1' } })) === 0) await tick();
    expect(await es.search(everything('vis'))).toEqual({ total: 0, hits: [] });
    expect((await es.histogram(everything('vis'))).buckets).toEqual([]);
    expect(await es.facets({ ...everything('vis'), fields: ['bundle'] })).toEqual({ bundle: [] });
    await writer.commit();
    const result = await es.search(everything('vis'));
    expect(result.total).toBe(300);
    expect(result.hits.slice(0, 2).map((hit) => hit.event.message)).toEqual(['first 1', 'first 2']);
  });

  it('replaces a bundle written again: readers see the old events or the new, never both or neither', async () => {
    const writer = await es.writer('vis', 'b1');
    writer.add(fileEvents('vis', 'b1', 400, 'second'));
    const seen = new Set<string>();
    let committed = false;
    const commit = writer.commit().then(() => {
      committed = true;
    });
    while (!committed) {
      const result = await es.search(everything('vis'));
      const kinds = new Set(result.hits.map((hit) => hit.event.message.split(' ')[0]));
      expect(kinds.size).toBe(1);
      expect(result.total).toBe(kinds.has('first') ? 300 : 400);
      seen.add([...kinds][0] as string);
      await tick();
    }
    await commit;
    expect(seen.has('first')).toBe(true);
    const after = await es.search(everything('vis'));
    expect(after.total).toBe(400);
    // The old generation's documents are gone, not just hidden.
    expect(await documents('vis')).toBe(400);
    expect((await control('vis')).visible).toEqual([['b1', 2]]);
  });

  it('leaves nothing behind when a writer aborts after its bulk requests went out', async () => {
    const writer = await es.writer('vis', 'aborted');
    writer.add(fileEvents('vis', 'aborted', 250, 'aborted'));
    while ((await documents('vis', { term: { 'shiplog.bundle': 'aborted' } })) === 0) await tick();
    await writer.abort();
    expect((await es.search({ ...everything('vis'), q: 'aborted' })).total).toBe(0);
    expect(await documents('vis', { term: { 'shiplog.bundle': 'aborted' } })).toBe(0);
    expect((await control('vis')).writing).toEqual([]);
    expect(() => writer.add(fileEvents('vis', 'aborted', 1, 'late'))).toThrow(/already done/);
  });

  it('refuses events of another tenant or bundle, and times that are not RFC 3339, naming the line', async () => {
    const writer = await es.writer('vis', 'b9');
    expect(() => writer.add(fileEvents('beta', 'b9', 1, 'x'))).toThrow(/tenant "beta"/);
    expect(() => writer.add(fileEvents('vis', 'b8', 1, 'x'))).toThrow(/bundle "b8"/);
    const [bad] = fileEvents('vis', 'b9', 1, 'x');
    expect(() => writer.add([{ ...(bad as IndexedEvent), '@timestamp': 'Mar  1 10:00:00' }])).toThrow(
      /"Mar {2}1 10:00:00" of containers\/app\/container.log:1 is not an RFC 3339 time/,
    );
    await writer.abort();
  });

  it('keeps times as written, sorts them in UTC to the nanosecond, and keeps events outside date_nanos', async () => {
    const times = [
      '2026-03-01T10:00:00.5+01:00',
      '2026-03-01 09:00:00.25Z',
      '1969-12-31T23:59:59Z',
      '2026-03-01t08:59:59z',
    ];
    const events = times.map((time, i) => ({
      ...(fileEvents('times', 't1', 1, 'time')[0] as IndexedEvent),
      '@timestamp': time,
      message: `time ${i}`,
      shiplog: { tenant: 'times', bundle: 't1', source: 'container' as const, file: 'f', line: i + 1 },
    }));
    await writeBundle(es, 'times', 't1', events);
    const result = await es.search(everything('times'));
    expect(result.hits.map((hit) => hit.event['@timestamp'])).toEqual([times[2], times[3], times[1], times[0]]);
  });

  it('deletes a bundle: it disappears from search and its documents go; the other bundles stay', async () => {
    await writeBundle(es, 'del', 'one', fileEvents('del', 'one', 20, 'one'));
    await writeBundle(es, 'del', 'two', fileEvents('del', 'two', 30, 'two'));
    const hit = (await es.search({ ...everything('del'), q: 'one', limit: 1 })).hits[0] as SearchHit;
    await es.deleteBundle('del', 'one');
    const result = await es.search(everything('del'));
    expect(result.total).toBe(30);
    expect(result.hits.every((h) => h.event.message.startsWith('two'))).toBe(true);
    expect(await es.context({ tenant: 'del', id: hit.id, before: 1, after: 1 })).toEqual({ events: [] });
    expect(await documents('del')).toBe(30);
    await es.deleteBundle('del', 'never-written');
    // An empty bundle is an empty bundle.
    await writeBundle(es, 'del', 'two', []);
    expect(await es.search(everything('del'))).toEqual({ total: 0, hits: [] });
    expect(await documents('del')).toBe(0);
  });

  it('leaves nothing visible when the writing process is killed, and the next writer removes what it wrote', async () => {
    await writeBundle(es, 'crash', 'kept', fileEvents('crash', 'kept', 5, 'kept'));
    const script = `
      const { ElasticsearchIndex } = await import(${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../../../collector/index/elasticsearch/index.ts')).href)});
      const index = new ElasticsearchIndex({ url: ${JSON.stringify(esUrl())}, index_prefix: ${JSON.stringify(vprefix)} }, { writer: { bulkBytes: 2048 } });
      const writer = await index.writer('crash', 'doomed');
      const [first] = ${JSON.stringify(fileEvents('crash', 'doomed', 1, 'doomed'))};
      const events = Array.from({ length: 500 }, (_, i) => ({
        ...first,
        message: 'doomed ' + (i + 1),
        shiplog: { ...first.shiplog, line: i + 1 },
      }));
      writer.add(events);
      await writer.ready();
      process.stdout.write('written\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('written')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`the writing child exited (${code}) before it wrote`)));
    });
    // Wait until the cluster holds some of its documents, then kill it before it can commit.
    while ((await documents('crash', { term: { 'shiplog.bundle': 'doomed' } })) === 0) await tick();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect((await es.search(everything('crash'))).total).toBe(5);
    expect((await control('crash')).writing).toHaveLength(1);
    // A fresh index (as after a restart) sweeps when it starts its first writer of the tenant.
    const restarted = new ElasticsearchIndex({ url: esUrl(), index_prefix: vprefix }, { spillDir: tempDir() });
    const writer = await restarted.writer('crash', 'next');
    expect(await documents('crash', { term: { 'shiplog.bundle': 'doomed' } })).toBe(0);
    expect((await control('crash')).writing).toHaveLength(1);
    await writer.abort();
    expect((await control('crash')).writing).toEqual([]);
    expect((await restarted.search(everything('crash'))).total).toBe(5);
    await restarted.close();
  });

  it('waits with add() beyond its memory budget in a scratch file, and still writes every event', async () => {
    const small = new ElasticsearchIndex(
      { url: esUrl(), index_prefix: vprefix },
      { writer: { bulkBytes: 4096, memoryBytes: 8192, concurrency: 1 }, spillDir: tempDir('shiplog-spill-') },
    );
    const writer = await small.writer('spill', 's1');
    const events = fileEvents('spill', 's1', 3000, 'spilled');
    for (let i = 0; i < events.length; i += 100) writer.add(events.slice(i, i + 100));
    await writer.commit();
    const { total, hits } = await allPages(small, { ...everything('spill'), limit: 1000 });
    expect(total).toBe(3000);
    expect(hits.map((hit) => hit.event.shiplog.line)).toEqual(events.map((event) => event.shiplog.line));
    await small.close();
  });

  describe('tenants', () => {
    beforeAll(async () => {
      await writeBundle(es, 'acme', 'b1', fileEvents('acme', 'b1', 50, 'shared'));
      await writeBundle(es, 'beta', 'b1', fileEvents('beta', 'b1', 80, 'shared'));
    });

    it('never returns another tenant’s events, through every page', async () => {
      const { total, hits } = await allPages(es, { tenants: ['acme'], q: 'shared', filters: {}, limit: 7 });
      expect(total).toBe(50);
      expect(hits.every((hit) => hit.id.startsWith('acme.') && hit.event.shiplog.tenant === 'acme')).toBe(true);
      const both = await allPages(es, { tenants: ['beta', 'acme'], q: 'shared', filters: {}, limit: 9 });
      expect(both.total).toBe(130);
    });

    it('treats a crafted cursor as a position only: it cannot reach another tenant', async () => {
      const beta = await es.search({ tenants: ['beta'], q: 'shared', filters: {}, limit: 5 });
      await expect(
        es.search({ tenants: ['acme'], q: 'shared', filters: {}, limit: 5, cursor: beta.next as string }),
      ).rejects.toBeInstanceOf(QueryError);
      const acme = await es.search({ tenants: ['acme'], q: 'shared', filters: {}, limit: 5 });
      const body = JSON.parse(Buffer.from(acme.next as string, 'base64url').toString()) as { k: unknown[] };
      body.k[1] = 'beta';
      const crafted = Buffer.from(JSON.stringify(body)).toString('base64url');
      const page = await es.search({ tenants: ['acme'], q: 'shared', filters: {}, limit: 100, cursor: crafted });
      expect(page.hits.every((hit) => hit.event.shiplog.tenant === 'acme')).toBe(true);
      for (const bad of ['not-a-cursor!', Buffer.from('{"v":1').toString('base64url')]) {
        await expect(
          es.search({ tenants: ['acme'], q: 'shared', filters: {}, limit: 5, cursor: bad }),
        ).rejects.toBeInstanceOf(QueryError);
      }
    });

    it('finds no context for a hit id of another tenant, nor for ids crafted to look like one', async () => {
      const beta = await es.search({ tenants: ['beta'], q: 'shared', filters: {}, limit: 60 });
      const betaId = beta.hits[55]?.id as string;
      expect(await es.context({ tenant: 'acme', id: betaId, before: 5, after: 5 })).toEqual({ events: [] });
      const renamed = betaId.replace(/^beta\./, 'acme.');
      const context = await es.context({ tenant: 'acme', id: renamed, before: 5, after: 5 });
      expect(context.events.every((entry) => entry.event.shiplog.tenant === 'acme')).toBe(true);
      for (const id of ['', 'acme', 'acme.1', 'acme.1.0', 'acme.0.1', 'acme.1.1.1', '../beta.1.1', 'ACME.1.1']) {
        expect(await es.context({ tenant: 'acme', id, before: 1, after: 1 }), id).toEqual({ events: [] });
      }
    });

    it('answers nothing, and creates nothing, for a tenant without an index', async () => {
      expect(await es.search({ tenants: ['nobody'], q: 'x', filters: {}, limit: 10 })).toEqual({ total: 0, hits: [] });
      expect((await es.histogram({ tenants: ['nobody'], q: '', filters: {} })).buckets).toEqual([]);
      expect(await es.facets({ tenants: ['nobody'], q: '', filters: {}, fields: ['level'] })).toEqual({ level: [] });
      expect(await es.context({ tenant: 'nobody', id: 'nobody.1.1', before: 1, after: 1 })).toEqual({ events: [] });
      await es.deleteBundle('nobody', 'b1');
      expect(await client.indices.exists({ index: `${vprefix}-nobody` })).toBe(false);
    });

    it('refuses tenant names that are not slugs before they become index names', async () => {
      for (const tenant of ['../beta', 'Acme', 'a,b', 'a*', '', '-x', 'x'.repeat(64), '_all']) {
        await expect(es.writer(tenant, 'b1'), tenant).rejects.toThrow(/not a tenant name/);
        await expect(es.search({ tenants: [tenant], q: '', filters: {}, limit: 1 })).rejects.toBeInstanceOf(QueryError);
      }
    });
  });

  it('refuses, as a query error, a phrase ending in a prefix that expands past the cluster’s clause limit', async () => {
    // 30,000 different words after "user": more than the clause limit of a 1 GB node (16,384).
    const [first] = fileEvents('clauses', 'c1', 1, 'x');
    const events = Array.from({ length: 30_000 }, (_, i) => ({
      ...(first as IndexedEvent),
      message: `user v${i.toString(36)}x`,
      shiplog: { ...(first as IndexedEvent).shiplog, line: i + 1 },
    }));
    await writeBundle(es, 'clauses', 'c1', events);
    const error = await es.search({ tenants: ['clauses'], q: 'user.v*', filters: {}, limit: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as Error).message).toMatch(/prefix that matches too many/);
    // A longer prefix, or the prefix on its own, is answered.
    expect((await es.search({ tenants: ['clauses'], q: 'user.v1*', filters: {}, limit: 1 })).total).toBe(1333);
    expect((await es.search({ tenants: ['clauses'], q: 'v*', filters: {}, limit: 1 })).total).toBe(30_000);
  });

  it('is healthy while the cluster answers, and not once closed', async () => {
    const other = new ElasticsearchIndex({ url: esUrl(), index_prefix: vprefix });
    expect(await other.healthy()).toBe(true);
    await other.close();
    expect(await other.healthy()).toBe(false);
    const nowhere = new ElasticsearchIndex({ url: 'http://127.0.0.1:1', index_prefix: vprefix });
    expect(await nowhere.healthy()).toBe(false);
    await nowhere.close();
  });
});
