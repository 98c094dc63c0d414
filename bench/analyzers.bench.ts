// `npm run bench -- analyzers` (once registered in bench/run.ts), or directly
// `npx node bench/analyzers.bench.ts [lines]`: what the collector's analyzers
// add to ingest, per million lines. The corpus of bench/corpus.ts is read as
// one bundle of nine files (eight containers and a syslog file) and turned
// into the events ingest indexes; only the time inside the analysis
// (observe on each batch of 5,000, then finish) is counted, once with every
// built-in analyzer and once with error-burst alone (the template miner,
// most of the cost). The process runs under /usr/bin/time for its peak RSS.
// The goal: well under the index's own cost (about 6.7 s per million lines at
// its 150,000 lines/s goal), so that analysis never decides ingest speed.
import { createReadStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AnalyzerFactory } from '../collector/analyze/analyzer.ts';
import { errorBurst } from '../collector/analyze/analyzers/error-burst.ts';
import { builtInAnalyzers, createAnalysis } from '../collector/analyze/index.ts';
import type { IndexedEvent } from '../collector/index/types.ts';
import { detectLevel } from '../collector/ingest/events.ts';
import type { BundleManifest } from '../schemas/bundle-manifest.ts';
import { writeCorpus } from './corpus.ts';
import { type BenchRow, type BenchSuite, measureProcess, row } from './harness.ts';

const files = 9;
const batchSize = 5000;
const containers = ['payments', 'ledger', 'gateway', 'auth-svc', 'reports', 'scheduler', 'mailer', 'frontend'];
const createdAt = '2026-11-26T00:00:00.000Z';

function event(message: string, index: number, total: number): IndexedEvent {
  const per = Math.ceil(total / files);
  const file = Math.floor(index / per);
  const line = index - file * per + 1;
  const stamp = new Date(Date.UTC(2026, 10, 25) + Math.floor((line / per) * 86_400_000)).toISOString();
  const level = detectLevel(message);
  const common = { '@timestamp': stamp, message, host: { name: 'app-01' } };
  if (file === files - 1) {
    return {
      ...common,
      event: { dataset: 'system.syslog' },
      log: { ...(level && { level }), file: { path: 'syslog/messages', line } },
      shiplog: { tenant: 't', bundle: 'b', source: 'syslog', file: 'syslog/messages', line },
    };
  }
  const name = containers[file] as string;
  const path = `containers/${name}/container.log`;
  return {
    ...common,
    event: { dataset: 'docker.container_logs' },
    log: { ...(level && { level }), stream: 'stdout', file: { path, line } },
    container: { id: String(file).repeat(64), name, image: { name: `acme/${name}`, tag: '4.2.1' } },
    shiplog: { tenant: 't', bundle: 'b', source: 'container', file: path, line },
  };
}

function manifest(): BundleManifest {
  return {
    format_version: 1,
    tool: { name: 'shiplog', version: 'bench' },
    created_at: createdAt,
    host: { name: 'app-01' },
    window: { since: '2026-11-25T00:00:00.000Z', until: createdAt },
    collectors: [],
    files: [],
    redaction: { packs: [], key_id: 'none', by_rule: {}, by_category: {}, by_file: {}, rescan: 'clean' },
    truncations: [],
    signing_key: { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:bench' },
  };
}

/** Child: reads the corpus, runs the analysis, prints {lines, analyze_s, findings, heap_mb}. */
async function child(corpus: string, total: number, which: string, dir: string): Promise<void> {
  const analyzers: readonly AnalyzerFactory[] = which === 'error-burst' ? [errorBurst] : builtInAnalyzers;
  const analysis = createAnalysis({ tenant: 't', bundle: 'b', createdAt, analyzers });
  let spent = 0;
  let cpu = 0;
  const cpuNow = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  let batch: IndexedEvent[] = [];
  let index = 0;
  const feed = () => {
    const start = performance.now();
    const startCpu = cpuNow();
    analysis.observe(batch);
    spent += performance.now() - start;
    cpu += cpuNow() - startCpu;
    batch = [];
  };
  for await (const line of createInterface({ input: createReadStream(corpus), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (index >= total) break;
    if (line !== '') batch.push(event(line, index, total));
    index++;
    if (batch.length === batchSize) feed();
  }
  feed();
  const start = performance.now();
  const startCpu = cpuNow();
  const findings = await analysis.finish(dir, manifest(), { containers: [] });
  spent += performance.now() - start;
  cpu += cpuNow() - startCpu;
  process.stdout.write(
    `${JSON.stringify({
      lines: index,
      analyze_s: spent / 1000,
      analyze_cpu_s: cpu / 1000,
      findings: findings.length,
      heap_mb: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
    })}\n`,
  );
}

const suite: BenchSuite = {
  name: 'analyzers',
  async run({ workDir, quick }) {
    const total = quick ? 200_000 : 1_000_000;
    const corpus = join(workDir, 'corpus.log');
    await writeCorpus(corpus, total);
    const dir = join(workDir, 'bundle');
    mkdirSync(dir, { recursive: true });
    const rows: BenchRow[] = [];
    for (const which of ['all', 'error-burst']) {
      const out = join(workDir, `${which}.json`);
      const measure = await measureProcess(
        process.execPath,
        [import.meta.filename, '--child', corpus, String(total), which, dir],
        { stdoutFile: out },
      );
      const result = JSON.parse((await import('node:fs')).readFileSync(out, 'utf8')) as {
        lines: number;
        analyze_s: number;
        analyze_cpu_s: number;
        findings: number;
        heap_mb: number;
      };
      const perMillion = (result.analyze_s / result.lines) * 1e6;
      const cpuPerMillion = (result.analyze_cpu_s / result.lines) * 1e6;
      rows.push(
        row(
          'analyzers',
          which === 'all' ? 'every built-in analyzer' : 'error-burst alone',
          result.lines,
          'lines',
          measure,
          {
            rate: Math.round(result.lines / result.analyze_s),
            note: `${perMillion.toFixed(2)} s of analysis per million lines (${cpuPerMillion.toFixed(2)} CPU s; ${((result.analyze_s / result.lines) * 1e9).toFixed(0)} ns/line); ${result.findings} findings; heap ${result.heap_mb} MB after`,
          },
        ),
      );
    }
    return rows;
  },
};

export default suite;

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    await child(args[1] as string, Number(args[2]), args[3] as string, args[4] as string);
  } else {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const workDir = mkdtempSync(join(tmpdir(), 'shiplog-bench-analyzers-'));
    try {
      const rows = await suite.run({ workDir, quick: args.includes('--quick') });
      for (const entry of rows)
        console.log(`${entry.subject}: ${entry.note} (process peak RSS ${entry.peak_rss_mb} MB)`);
      writeFileSync(join(workDir, 'done'), '');
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
}
