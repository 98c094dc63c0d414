// `npm run bench -- collector-es`: the collector's Elasticsearch index, on
// the test cluster (the lean 8.19 distribution, started by the project's
// own script; SHIPLOG_BENCH_ES_URL to use another).
//
// Ingest: 5,000,000 short log lines (bench/corpus.ts; --quick: 500,000) as
// one bundle of nine files (eight containers and a syslog file, each file
// covering the same day). The subject builds every IndexedEvent from its
// line and writes it through ElasticsearchIndex's writer up to commit()
// (bundle searchable), waiting on ready() as a caller that can wait does.
// Beside it, the floor: the very same documents (the writer's encoder
// wrote them to a file beforehand, outside the measure) sent by a plain
// loop of `_bulk` requests of the same size and concurrency into an index
// with the same mapping, then one refresh. The ratio says what the writer
// costs beyond what the cluster itself needs for the documents.
//
// Search: over the index just built, warm, with varied terms: a term (first
// page of 100 and the exact total), a phrase with filters (level, container,
// time range), a histogram of 60 buckets, and facets; p50/p95 latency.
//
// Each subject runs as its own process under /usr/bin/time (this file, with
// --child): CPU seconds and peak RSS are the client's; the cluster's own
// CPU is not in them (it shares the machine's two cores with the client).
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseNodesInfo } from '../agent/sinks/elasticsearch/capabilities.ts';
import { featuresOf } from '../collector/index/elasticsearch/cluster.ts';
import { DocumentEncoder } from '../collector/index/elasticsearch/documents.ts';
import { ElasticsearchIndex } from '../collector/index/elasticsearch/index.ts';
import { indexTemplate, templateName } from '../collector/index/elasticsearch/mapping.ts';
import type { IndexedEvent } from '../collector/index/types.ts';
import { writeCorpus } from './corpus.ts';
import { type BenchRow, type BenchSuite, ensureService, measureProcess, row } from './harness.ts';

const ES_URL = process.env.SHIPLOG_BENCH_ES_URL ?? 'http://127.0.0.1:9250';
const TENANT = 'bench';
const BUNDLE = 'bundle-1';
const FILES = 9;
const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2026, 10, 25);
const ADD_BATCH = 1000;
/** The writer's defaults, which the floor copies. */
const BULK_BYTES = 4 * 1024 * 1024;
const CONCURRENCY = 2;

const apps = ['payments', 'ledger', 'gateway', 'auth-svc', 'reports', 'scheduler', 'mailer', 'frontend'];

/** Corpus line `i` (0-based) of `total` as the event a bundle of nine files would give. */
function eventOf(message: string, i: number, total: number): IndexedEvent {
  const per = Math.ceil(total / FILES);
  const file = Math.floor(i / per);
  const line = i - file * per + 1;
  const ms = START_MS + Math.floor(((line - 1) / per) * DAY_MS) + (i % 11);
  const stamp = `${new Date(ms).toISOString().slice(0, 23)}${String((i * 104_729) % 1_000_000).padStart(6, '0')}Z`;
  const level = i % 40 === 0 ? 'error' : i % 7 === 0 ? 'warn' : 'info';
  if (file === FILES - 1) {
    return {
      '@timestamp': stamp,
      message,
      event: { dataset: 'system.syslog' },
      host: { name: 'app-01.bank.internal' },
      log: { level, file: { path: 'syslog/messages', line } },
      shiplog: { tenant: TENANT, bundle: BUNDLE, source: 'syslog', file: 'syslog/messages', line },
    };
  }
  const app = apps[file] as string;
  const path = `containers/${app}/container.log`;
  return {
    '@timestamp': stamp,
    message,
    event: { dataset: 'docker.container_logs' },
    host: { name: 'app-01.bank.internal' },
    log: { level, stream: i % 6 === 0 ? 'stderr' : 'stdout', file: { path, line } },
    container: { id: `${file}`.repeat(64), name: app, image: { name: `registry.vendor.example/${app}`, tag: '4.2.1' } },
    service: { name: app },
    shiplog: { tenant: TENANT, bundle: BUNDLE, source: 'container', file: path, line },
  };
}

async function* corpusEvents(corpus: string, total: number): AsyncGenerator<IndexedEvent[]> {
  let i = 0;
  let batch: IndexedEvent[] = [];
  for await (const line of createInterface({ input: createReadStream(corpus), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (i >= total) break;
    batch.push(eventOf(line, i++, total));
    if (batch.length === ADD_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The floor's input: the writer's own bulk lines for every event, generation 1. */
async function writeDocuments(corpus: string, total: number, out: string): Promise<number> {
  const encoder = new DocumentEncoder(TENANT, BUNDLE, 1);
  const file = createWriteStream(out);
  for await (const batch of corpusEvents(corpus, total)) {
    if (!file.write(batch.map((event) => encoder.encode(event)).join(''))) await once(file, 'drain');
  }
  file.end();
  await once(file, 'finish');
  return statSync(out).size;
}

async function childIngest(corpus: string, prefix: string, total: number, spillDir: string): Promise<void> {
  const index = new ElasticsearchIndex({ url: ES_URL, index_prefix: prefix }, { spillDir });
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const writer = await index.writer(TENANT, BUNDLE);
  let lines = 0;
  for await (const batch of corpusEvents(corpus, total)) {
    writer.add(batch);
    lines += batch.length;
    await writer.ready();
  }
  const added = performance.now();
  await writer.commit();
  const done = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  await index.close();
  process.stdout.write(
    `${JSON.stringify({ lines, add_s: (added - started) / 1000, commit_s: (done - added) / 1000, cpu_s: (cpu.user + cpu.system) / 1e6 })}\n`,
  );
}

/** Sends the documents file with plain _bulk requests, CONCURRENCY at a time, then refreshes. */
async function childFloor(documents: string, index: string): Promise<void> {
  let errors = 0;
  let docs = 0;
  const inFlight = new Set<Promise<void>>();
  const send = async (body: string) => {
    const response = await fetch(`${ES_URL}/${index}/_bulk?filter_path=errors,items.*.error.type`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    const answer = (await response.json()) as { errors?: boolean; items?: unknown[] };
    if (!response.ok || answer.errors) errors += answer.items?.length ?? 1;
  };
  let body: string[] = [];
  let bytes = 0;
  let pending: string | undefined;
  for await (const line of createInterface({
    input: createReadStream(documents),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    // Lines come in pairs: the action, then the document.
    if (pending === undefined) {
      pending = line;
      continue;
    }
    body.push(pending, line);
    bytes += pending.length + line.length + 2;
    pending = undefined;
    docs++;
    if (bytes >= BULK_BYTES) {
      const work = send(`${body.join('\n')}\n`).finally(() => inFlight.delete(work));
      inFlight.add(work);
      body = [];
      bytes = 0;
      if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
    }
  }
  if (body.length > 0) await send(`${body.join('\n')}\n`);
  await Promise.all(inFlight);
  await fetch(`${ES_URL}/${index}/_refresh`, { method: 'POST' });
  process.stdout.write(`${JSON.stringify({ docs, errors })}\n`);
}

interface Latency {
  kind: string;
  runs: number;
  p50: number;
  p95: number;
  max: number;
  note: string;
}

async function childSearch(prefix: string): Promise<void> {
  const index = new ElasticsearchIndex({ url: ES_URL, index_prefix: prefix });
  const tenants = [TENANT];
  const kinds: Latency[] = [];
  const measure = async (kind: string, runs: (() => Promise<string>)[], rounds: number) => {
    const samples: number[] = [];
    const notes = new Set<string>();
    for (const run of runs) await run();
    for (let round = 0; round < rounds; round++) {
      for (const run of runs) {
        const start = performance.now();
        notes.add(await run());
        samples.push(performance.now() - start);
      }
    }
    samples.sort((a, b) => a - b);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number;
    kinds.push({
      kind,
      runs: samples.length,
      p50: at(0.5),
      p95: at(0.95),
      max: samples.at(-1) as number,
      note: [...notes].join('; '),
    });
  };
  const terms = ['timeout', 'settled', 'retrying', 'IllegalStateException', 'gateway', '4242', 'Posting.java'];
  await measure(
    'term: first page of 100 + total',
    terms.map((q) => async () => `${q}=${(await index.search({ tenants, q, filters: {}, limit: 100 })).total}`),
    5,
  );
  await measure(
    'term: pages 2-5 by cursor',
    terms.slice(0, 3).map((q) => async () => {
      let result = await index.search({ tenants, q, filters: {}, limit: 100, order: 'desc' });
      for (let page = 0; page < 4 && result.next; page++) {
        result = await index.search({ tenants, q, filters: {}, limit: 100, order: 'desc', cursor: result.next });
      }
      return `${q} desc`;
    }),
    3,
  );
  const from = new Date(START_MS + 6 * 3_600_000).toISOString();
  const to = new Date(START_MS + 18 * 3_600_000).toISOString();
  const phrases = ['"request completed"', '"connection timeout"', '"batch settled"', '"cache retrying"'];
  await measure(
    'phrase + filters (level, container, from/to)',
    phrases.flatMap((q) => [
      async () =>
        `${q} level=${(await index.search({ tenants, q, limit: 100, filters: { level: ['error', 'warn'] } })).total}`,
      async () =>
        `${q} container+range=${(await index.search({ tenants, q, limit: 100, filters: { container: ['payments', 'ledger'], from, to } })).total}`,
    ]),
    5,
  );
  await measure(
    'histogram (60 buckets)',
    ['', 'timeout', '"batch settled"', 'level:error', 'IllegalStateException'].map((q) => async () => {
      const result = await index.histogram({ tenants, q, filters: {}, buckets: 60 });
      return `${q || '(all)'}: ${result.buckets.length}x${result.interval_ms / 60000}m`;
    }),
    5,
  );
  await measure(
    'facets (5 fields)',
    ['', 'timeout', '"batch settled"', 'level:error'].map((q) => async () => {
      await index.facets({ tenants, q, filters: {}, fields: ['site', 'container', 'level', 'stream', 'source'] });
      return q || '(all)';
    }),
    3,
  );
  await index.close();
  process.stdout.write(`${JSON.stringify(kinds)}\n`);
}

async function es<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${ES_URL}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return (await response.json()) as T;
}

async function storeMb(index: string): Promise<string> {
  const stats = await es<{ _all?: { primaries?: { store?: { size_in_bytes?: number } } } }>(
    'GET',
    `/${index}/_stats/store`,
  );
  return ((stats._all?.primaries?.store?.size_in_bytes ?? 0) / 1e6).toFixed(0);
}

const suite: BenchSuite = {
  name: 'collector-es',
  async run(ctx) {
    ensureService('elasticsearch');
    const total = ctx.quick ? 500_000 : 5_000_000;
    const prefix = `shiplog-bench-${Date.now().toString(36)}`;
    const corpus = join(ctx.workDir, 'lines.log');
    await writeCorpus(corpus, total);
    const documents = join(ctx.workDir, 'documents.ndjson');
    const documentBytes = await writeDocuments(corpus, total, documents);
    const rows: BenchRow[] = [];
    try {
      // The floor's index gets the collector's mapping through the same template.
      const features = featuresOf(parseNodesInfo(await es('GET', '/_nodes/_local')));
      await es('PUT', `/_index_template/${templateName(prefix)}`, indexTemplate(prefix, features.mappings));
      const floorIndex = `${prefix}-floor`;
      const floorOut = join(ctx.workDir, 'floor.out');
      const floor = await measureProcess(
        process.execPath,
        [import.meta.filename, '--child', 'floor', documents, floorIndex],
        {
          stdoutFile: floorOut,
        },
      );
      const floorReport = JSON.parse(readFileSync(floorOut, 'utf8').trim() || '{}') as {
        docs?: number;
        errors?: number;
      };
      const floorRate = total / floor.wall_s;
      rows.push(
        row('collector-es', 'floor: plain _bulk of the same documents', total, 'lines', floor, {
          note: [
            `${(documentBytes / 1e6).toFixed(0)} MB of bulk lines`,
            `${floorReport.docs ?? 0} docs`,
            floorReport.errors ? `${floorReport.errors} ERRORS` : '',
            `${await storeMb(floorIndex)} MB index`,
          ]
            .filter(Boolean)
            .join(', '),
        }),
      );

      const ingestOut = join(ctx.workDir, 'ingest.out');
      const ingest = await measureProcess(
        process.execPath,
        [import.meta.filename, '--child', 'ingest', corpus, prefix, `${total}`, ctx.workDir],
        { stdoutFile: ingestOut },
      );
      const report = JSON.parse(readFileSync(ingestOut, 'utf8').trim() || '{}') as {
        add_s?: number;
        commit_s?: number;
      };
      const counted = await es<{ count?: number }>('POST', `/${prefix}-${TENANT}/_count`, {
        query: { exists: { field: 'shiplog_index.gen' } },
      });
      rows.push(
        row('collector-es', 'shiplog ElasticsearchIndex writer', total, 'lines', ingest, {
          note: [
            `${(total / ingest.wall_s / floorRate).toFixed(2)}x floor`,
            `add ${report.add_s?.toFixed(1)} s + commit ${report.commit_s?.toFixed(1)} s`,
            `${counted.count ?? 0} docs`,
            `${await storeMb(`${prefix}-${TENANT}`)} MB index`,
            ingest.exit_code === 0 ? '' : `exit ${ingest.exit_code}`,
          ]
            .filter(Boolean)
            .join(', '),
        }),
      );

      const searchOut = join(ctx.workDir, 'search.out');
      const search = await measureProcess(process.execPath, [import.meta.filename, '--child', 'search', prefix], {
        stdoutFile: searchOut,
      });
      for (const latency of JSON.parse(readFileSync(searchOut, 'utf8').trim() || '[]') as Latency[]) {
        rows.push(
          row('collector-es', `search: ${latency.kind}`, latency.runs, 'queries', search, {
            rate: Math.round((1000 / latency.p50) * 10) / 10,
            note: `p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms; ${latency.note}`,
          }),
        );
      }
    } finally {
      for (const index of [`${prefix}-floor`, `${prefix}-${TENANT}`]) await es('DELETE', `/${index}`).catch(() => {});
      await es('DELETE', `/_index_template/${templateName(prefix)}`).catch(() => {});
    }
    return rows;
  },
};

export default suite;

if (import.meta.main && process.argv[2] === '--child') {
  const [, , , subject, ...args] = process.argv;
  if (subject === 'ingest') await childIngest(args[0] as string, args[1] as string, Number(args[2]), args[3] as string);
  else if (subject === 'floor') await childFloor(args[0] as string, args[1] as string);
  else if (subject === 'search') await childSearch(args[0] as string);
}
