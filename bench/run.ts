// `npm run bench [-- --quick] [suite...]`: runs each benchmark suite, prints
// one table with every subject beside its peer, and writes bench/results/*.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow, BenchSuite } from './harness.ts';

const suites: Record<string, () => Promise<{ default: BenchSuite }>> = {
  spool: () => import('./spool.bench.ts'),
  redact: () => import('./redact.bench.ts'),
  'ship-spool': () => import('./ship.bench.ts').then((m) => ({ default: m.shipSpool })),
  'ship-es': () => import('./ship.bench.ts').then((m) => ({ default: m.shipEs })),
  docker: () => import('./docker.bench.ts'),
  'docker-memory': () => import('./docker-memory.bench.ts'),
  dump: () => import('./dump.bench.ts'),
  analyzers: () => import('./analyzers.bench.ts'),
  'collector-index': () => import('./collector-index.bench.ts'),
  'collector-es': () => import('./collector-es.bench.ts'),
  'verify-hostile': () => import('./verify-hostile.bench.ts'),
  syslog: () => import('./syslog.bench.ts'),
  portal: () => import('./portal.bench.ts'),
  kit: () => import('./kit.bench.ts'),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((arg) => !arg.startsWith('--'));
const names = wanted.length > 0 ? wanted : Object.keys(suites);

const rows: BenchRow[] = [];
for (const name of names) {
  const load = suites[name];
  if (!load) {
    console.error(`unknown benchmark suite "${name}"; known: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  const workDir = mkdtempSync(join(tmpdir(), `shiplog-bench-${name}-`));
  try {
    const suite = (await load()).default;
    console.error(`running ${suite.name}${quick ? ' (quick)' : ''}...`);
    rows.push(...(await suite.run({ workDir, quick })));
  } finally {
    // A daemon a suite stopped may still be writing its last files: retry rather than hide the suite's own error.
    rmSync(workDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

const header = ['suite', 'subject', 'work', 'wall s', 'cpu s', 'peak RSS MB', 'rate', 'goal', 'note'];
const table = rows.map((r) => [
  r.suite,
  r.subject,
  `${r.work} ${r.unit}`,
  r.wall_s.toFixed(2),
  r.cpu_s.toFixed(2),
  r.peak_rss_mb.toFixed(1),
  `${r.rate} ${r.unit}/s`,
  r.goal === undefined ? '' : `${r.goal} ${r.unit}/s`,
  r.note ?? '',
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => (cells[i] ?? '').length)));
const format = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
console.log(format(header));
for (const cells of table) console.log(format(cells));

const outDir = join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, `${JSON.stringify({ quick, node: process.versions.node, rows }, null, 2)}\n`);
console.log(`\nwrote ${outFile}`);
