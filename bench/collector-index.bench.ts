// `npm run bench -- collector-index`: the collector's SQLite index.
//
// Ingest: 5,000,000 short log lines (bench/corpus.ts, about 92 bytes each;
// --quick: 500,000) as one bundle of nine files (eight containers and a
// syslog file), written file after file, each file covering the same day,
// so the files interleave in time as a real bundle's do. The subject builds
// every IndexedEvent from its line and adds it through SqliteIndex's writer
// up to commit(). Beside it, the floor: SQLite's own `sqlite3` shell loading
// the same lines into a plain FTS5 table in one transaction. Goals: at least
// 150,000 lines/s, and at least half of the floor's rate.
//
// Search: over the index just built, each query kind is run repeatedly
// (warm), with varied terms, and p50/p95 latency is reported: a term (from
// a frequent one to a rare one, first page plus paging by cursor), a phrase
// with field filters and a time range, and a histogram. Goal: p95 under
// 200 ms.
//
// Each subject runs as its own process under /usr/bin/time (this file, with
// --child), so CPU seconds and peak RSS are the subject's alone.
import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SqliteIndex } from '../collector/index/sqlite/index.ts';
import type { IndexedEvent } from '../collector/index/types.ts';
import { writeCorpus } from './corpus.ts';
import { type BenchRow, type BenchSuite, measureProcess, row } from './harness.ts';

const TENANT = 'bench';
const BUNDLE = 'bundle-1';
const FILES = 9;
const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2026, 10, 25);
const ADD_BATCH = 1000;
const GOAL_LINES_PER_S = 150_000;

const apps = ['payments', 'ledger', 'gateway', 'auth-svc', 'reports', 'scheduler', 'mailer', 'frontend'];

function ensureSqlite3(): void {
  try {
    execFileSync('sqlite3', ['-version'], { stdio: 'ignore' });
  } catch {
    execFileSync('bash', ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y sqlite3'], { stdio: 'ignore' });
  }
}

let secondCache = { second: Number.NaN, text: '' };

/** RFC 3339 with nanoseconds, formatting the date part once per second. */
function timestampOf(ms: number, subMillisecondNanos: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== secondCache.second) secondCache = { second, text: new Date(second * 1000).toISOString().slice(0, 19) };
  return `${secondCache.text}.${String(ms % 1000).padStart(3, '0')}${String(subMillisecondNanos).padStart(6, '0')}Z`;
}

/** The event of corpus line `i` (0-based) out of `total`, in file `file`. */
function eventOf(message: string, i: number, total: number): IndexedEvent {
  const per = Math.ceil(total / FILES);
  const file = Math.floor(i / per);
  const k = i - file * per;
  const ms = START_MS + Math.floor((k / per) * DAY_MS) + (i % 7);
  const timestamp = timestampOf(ms, (i * 7919) % 1_000_000);
  const level = i % 50 === 0 ? 'error' : i % 9 === 0 ? 'warn' : 'info';
  const shiplog = { tenant: TENANT, bundle: BUNDLE, line: k + 1 };
  if (file === FILES - 1) {
    return {
      '@timestamp': timestamp,
      message,
      event: { dataset: 'system.syslog' },
      host: { name: 'app-01.bank.internal' },
      log: { level, file: { path: '/var/log/messages' } },
      shiplog: { ...shiplog, source: 'syslog', file: 'syslog/messages' },
    };
  }
  const app = apps[file] as string;
  return {
    '@timestamp': timestamp,
    message,
    event: { dataset: 'docker.container_logs' },
    host: { name: 'app-01.bank.internal' },
    log: { level, stream: i % 5 === 0 ? 'stderr' : 'stdout' },
    container: {
      id: `${file}`.repeat(64),
      name: app,
      image: { name: `registry.vendor.example/${app}`, tag: '4.2.1' },
    },
    service: { name: app },
    shiplog: { ...shiplog, source: 'container', file: `containers/${app}.log` },
  };
}

async function childIngest(corpus: string, dataDir: string, total: number): Promise<void> {
  const index = new SqliteIndex(join(dataDir, 'index'));
  const started = performance.now();
  const writer = await index.writer(TENANT, BUNDLE);
  // Time inside the index (writer(), add(), commit()), apart from reading lines and building events.
  let inIndex = performance.now() - started;
  const cpuStart = process.cpuUsage();
  let i = 0;
  let batch: IndexedEvent[] = [];
  const add = () => {
    const start = performance.now();
    writer.add(batch);
    inIndex += performance.now() - start;
    batch = [];
  };
  for await (const line of createInterface({ input: createReadStream(corpus), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (i >= total) break;
    batch.push(eventOf(line, i++, total));
    if (batch.length === ADD_BATCH) add();
  }
  add();
  const added = performance.now();
  await writer.commit();
  const done = performance.now();
  inIndex += done - added;
  const cpu = process.cpuUsage(cpuStart);
  await index.close();
  process.stdout.write(
    `${JSON.stringify({
      lines: i,
      index_s: inIndex / 1000,
      add_s: (added - started) / 1000,
      commit_s: (done - added) / 1000,
      cpu_s: (cpu.user + cpu.system) / 1e6,
    })}\n`,
  );
}

interface Latency {
  kind: string;
  runs: number;
  p50: number;
  p95: number;
  max: number;
  note: string;
}

async function childSearch(dataDir: string): Promise<void> {
  const index = new SqliteIndex(join(dataDir, 'index'));
  const tenants = [TENANT];
  const base = { tenants, filters: {} };
  const time = async (work: () => Promise<unknown>) => {
    const start = performance.now();
    await work();
    return performance.now() - start;
  };
  const kinds: Latency[] = [];
  const measure = async (kind: string, runs: (() => Promise<string>)[], rounds: number) => {
    const samples: number[] = [];
    const notes = new Set<string>();
    // One warm-up pass, then the timed rounds.
    for (const run of runs) await run();
    for (let round = 0; round < rounds; round++) {
      for (const run of runs) {
        let note = '';
        samples.push(
          await time(async () => {
            note = await run();
          }),
        );
        notes.add(note);
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
    terms.map((q) => async () => {
      const result = await index.search({ ...base, q, limit: 100 });
      return `${q}=${result.total}`;
    }),
    5,
  );
  // Pages 2 to 6, newest first, each page timed on its own.
  const cursors: { q: string; cursor: string }[] = [];
  for (const q of terms.slice(0, 4)) {
    let result = await index.search({ ...base, q, limit: 100, order: 'desc' });
    for (let page = 0; page < 5 && result.next; page++) {
      cursors.push({ q, cursor: result.next });
      result = await index.search({ ...base, q, limit: 100, order: 'desc', cursor: result.next });
    }
  }
  await measure(
    'term: a later page by cursor, newest first',
    cursors.map(({ q, cursor }) => async () => {
      await index.search({ ...base, q, limit: 100, order: 'desc', cursor });
      return q;
    }),
    2,
  );
  const from = new Date(START_MS + 6 * 3_600_000).toISOString();
  const to = new Date(START_MS + 18 * 3_600_000).toISOString();
  const phrases = ['"request completed"', '"connection timeout"', '"batch settled"', '"cache retrying"'];
  await measure(
    'phrase + filters (level, container, from/to)',
    phrases.flatMap((q) => [
      async () => {
        const result = await index.search({ tenants, q, limit: 100, filters: { level: ['error', 'warn'] } });
        return `${q} level=${result.total}`;
      },
      async () => {
        const result = await index.search({
          tenants,
          q,
          limit: 100,
          filters: { container: ['payments', 'ledger'], from, to },
        });
        return `${q} container+range=${result.total}`;
      },
    ]),
    5,
  );
  await measure(
    'histogram (60 buckets)',
    ['', 'timeout', '"batch settled"', 'level:error', 'IllegalStateException'].map((q) => async () => {
      const result = await index.histogram({ ...base, q, buckets: 60 });
      return `${q || '(all)'}: ${result.buckets.length}x${result.interval_ms / 60000}m`;
    }),
    5,
  );
  await measure(
    'facets (5 fields)',
    ['', 'timeout', '"batch settled"', 'level:error'].map((q) => async () => {
      await index.facets({ ...base, q, fields: ['site', 'container', 'level', 'stream', 'source'] });
      return q || '(all)';
    }),
    3,
  );
  await index.close();
  process.stdout.write(`${JSON.stringify(kinds)}\n`);
}

const suite: BenchSuite = {
  name: 'collector-index',
  async run(ctx) {
    ensureSqlite3();
    const total = ctx.quick ? 500_000 : 5_000_000;
    const corpus = join(ctx.workDir, 'lines.log');
    await writeCorpus(corpus, total);
    const rows: BenchRow[] = [];

    const floorDb = join(ctx.workDir, 'floor.db');
    const script = join(ctx.workDir, 'floor.sql');
    writeFileSync(
      script,
      [
        'PRAGMA journal_mode = WAL;',
        `CREATE VIRTUAL TABLE lines USING fts5(message, tokenize = 'unicode61 remove_diacritics 0');`,
        '.mode ascii',
        // Fields split on 0x1F (never in the corpus), rows on newlines: one line, one row.
        '.separator "\x1f" "\\n"',
        'BEGIN;',
        `.import ${corpus} lines`,
        'COMMIT;',
        '',
      ].join('\n'),
    );
    const floor = await measureProcess('sqlite3', [floorDb], { stdinFile: script });
    const floorRate = total / floor.wall_s;
    rows.push(
      row('collector-index', 'floor: sqlite3 .import into FTS5', total, 'lines', floor, {
        note: `${mb(statSync(floorDb).size)} MB file${floor.exit_code === 0 ? '' : `, exit ${floor.exit_code}`}`,
      }),
    );

    const dataDir = join(ctx.workDir, 'data');
    const ingestOut = join(ctx.workDir, 'ingest.out');
    const ingest = await measureProcess(
      process.execPath,
      [import.meta.filename, '--child', 'ingest', corpus, dataDir, `${total}`],
      {
        stdoutFile: ingestOut,
      },
    );
    const report = JSON.parse(readFileSync(ingestOut, 'utf8').trim() || '{}') as {
      index_s?: number;
      add_s?: number;
      commit_s?: number;
    };
    const indexFile = join(dataDir, 'index', `${TENANT}.db`);
    rows.push(
      row('collector-index', 'shiplog SqliteIndex writer', total, 'lines', ingest, {
        goal: GOAL_LINES_PER_S,
        note: [
          `${(total / ingest.wall_s / floorRate).toFixed(2)}x floor (goal >= 0.5x)`,
          `${Math.round(total / (report.index_s ?? Number.NaN))} lines/s counting only time inside the index`,
          `add ${report.add_s?.toFixed(1)} s + commit ${report.commit_s?.toFixed(1)} s`,
          `${mb(statSync(indexFile).size)} MB file`,
          ingest.exit_code === 0 ? '' : `exit ${ingest.exit_code}`,
        ]
          .filter(Boolean)
          .join(', '),
      }),
    );

    const searchOut = join(ctx.workDir, 'search.out');
    const search = await measureProcess(process.execPath, [import.meta.filename, '--child', 'search', dataDir], {
      stdoutFile: searchOut,
    });
    const latencies = JSON.parse(readFileSync(searchOut, 'utf8').trim() || '[]') as Latency[];
    for (const latency of latencies) {
      // The goal is for the term, filtered phrase and histogram queries; facets are shown for what they cost.
      const goal = latency.kind.startsWith('facets') ? '' : ' (goal p95 < 200 ms)';
      rows.push(
        row('collector-index', `search: ${latency.kind}`, latency.runs, 'queries', search, {
          rate: Math.round((1000 / latency.p50) * 10) / 10,
          note: `p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms${goal}; ${latency.note}`,
        }),
      );
    }
    return rows;
  },
};

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(0);
}

export default suite;

if (import.meta.main && process.argv[2] === '--child') {
  const [, , , subject, ...args] = process.argv;
  if (subject === 'ingest') await childIngest(args[0] as string, args[1] as string, Number(args[2]));
  else if (subject === 'search') await childSearch(args[0] as string);
}
