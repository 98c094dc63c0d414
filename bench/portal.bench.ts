// `npm run bench -- portal`: the search page of the portal over 5,000,000
// lines (--quick: 500,000), in Debian's chromium against a real
// `shiplog-collector serve`.
//
// The index is built as the collector-index suite builds it (its ingest
// child, same corpus, tenant "bench"); the collector then serves it. For
// each query, the search page is opened cold (a new navigation) five times,
// and a script injected before the page's own records, on the page's clock
// from navigation start: when the first result is drawn (the goal: under
// 300 ms), and when the histogram and the facets have arrived too. The
// collector's CPU seconds and peak RSS over the whole browsing are its own
// (read from /proc before it stops).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumLaunch } from '../test/helpers/chromium.ts';
import { writeCorpus } from './corpus.ts';
import { type BenchRow, type BenchSuite, measureProcess, type ProcessMeasure, row } from './harness.ts';

const repo = join(import.meta.dirname, '..');
const GOAL_MS = 300;
const RUNS = 5;
const queries = [
  'timeout',
  'gateway settled',
  '"connection retrying"',
  'IllegalStateException',
  'level:error payments',
];

interface Timing {
  firstHit: number;
  complete: number;
}

const suite: BenchSuite = {
  name: 'portal',
  async run(ctx): Promise<BenchRow[]> {
    const total = ctx.quick ? 500_000 : 5_000_000;
    const corpus = join(ctx.workDir, 'corpus.log');
    await writeCorpus(corpus, total);
    const dataDir = join(ctx.workDir, 'collector');
    const env = { ...process.env, SHIPLOG_COLLECTOR_DATA_DIR: dataDir };
    await measureProcess(process.execPath, [join(repo, 'bin/shiplog-collector.js'), 'tenant', 'create', 'bench'], {
      env,
    });
    const ingest = await measureProcess(
      process.execPath,
      [join(import.meta.dirname, 'collector-index.bench.ts'), '--child', 'ingest', corpus, dataDir, `${total}`],
      { env },
    );
    if (ingest.exit_code !== 0) throw new Error(`the index was not built (exit ${ingest.exit_code})`);

    const started = performance.now();
    const server = spawn(
      process.execPath,
      [join(repo, 'bin/shiplog-collector.js'), 'serve', '--port', '0', '--host', '127.0.0.1'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let measure: ProcessMeasure | undefined;
    const { url, token } = await listening(server);
    const timings = new Map<string, Timing[]>();
    const browser = await chromium.launch(chromiumLaunch);
    try {
      const context = await browser.newContext();
      await context.addInitScript({ path: join(import.meta.dirname, 'portal-marks.js') });
      const page = await context.newPage();
      await page.goto(`${url}/signin`);
      await page.fill('#token', token);
      await page.press('#token', 'Enter');
      await page.waitForSelector('header .who');
      for (const q of queries) {
        const list: Timing[] = [];
        // One warm-up visit, then the measured ones.
        for (let run = 0; run <= RUNS; run++) {
          await page.goto(`${url}/search?${new URLSearchParams({ q })}`);
          // Functions, not strings: the portal's CSP forbids evaluating strings, in this page too.
          await page.waitForFunction(
            () => (globalThis as unknown as { __marks: Timing }).__marks.complete >= 0,
            undefined,
            {
              timeout: 60_000,
            },
          );
          const marks = await page.evaluate(() => (globalThis as unknown as { __marks: Timing }).__marks);
          if (run > 0) list.push(marks);
        }
        timings.set(q, list);
      }
      measure = serverMeasure(server.pid as number, (performance.now() - started) / 1000);
    } finally {
      await browser.close();
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    if (!measure) throw new Error('the server was not measured');
    const rows: BenchRow[] = [
      row('portal', 'index built for the page (collector-index ingest)', total, 'lines', ingest),
    ];
    for (const [q, list] of timings) {
      const first = list.map((timing) => timing.firstHit).sort((a, b) => a - b);
      const complete = list.map((timing) => timing.complete).sort((a, b) => a - b);
      const p50 = first[Math.floor(first.length / 2)] as number;
      rows.push(
        row('portal', `search page, first result: ${q}`, list.length, 'page loads', measure, {
          rate: Math.round((1000 / p50) * 10) / 10,
          note: `first result p50 ${p50.toFixed(0)} ms, max ${(first.at(-1) as number).toFixed(0)} ms (goal < ${GOAL_MS} ms); histogram and facets too: p50 ${(complete[Math.floor(complete.length / 2)] as number).toFixed(0)} ms; over ${total.toLocaleString('en-US')} lines`,
        }),
      );
    }
    return rows;
  },
};

async function listening(server: ChildProcess): Promise<{ url: string; token: string }> {
  let stdout = '';
  let stderr = '';
  server.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  server.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const url = /serving on (https?:\/\/[^/\s]+)\//.exec(stderr)?.[1];
    const token = /^slc_\S+$/m.exec(stdout)?.[0];
    if (url && token) return { url, token };
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`serve did not start:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The server's CPU seconds and peak RSS so far, from /proc, read while it still runs. */
function serverMeasure(pid: number, wallS: number): ProcessMeasure {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { wall_s: wallS, cpu_s: ticks / 100, peak_rss_mb: Number(hwm ?? 0) / 1024, exit_code: 0 };
}

export default suite;
