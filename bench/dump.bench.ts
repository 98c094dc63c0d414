// `npm run bench -- dump`: `shiplog dump` over ~1 GB of mixed syslog, JSON and
// Java lines (bench/corpus.ts; 4 syslog files of ~250 MB) read through the
// syslog_files collector, redacted, rescanned, signed and compressed, with
// gzip and with --zstd. Beside it, in the same run, `tar -czf` and
// `tar -I zstd -cf` of the same raw files. Goals (issue): gzip at least as
// fast as `tar -czf` and no larger; --zstd at least twice as fast as
// `tar -czf` and no larger than it. Rates are MB (1e6 bytes) of INPUT per
// wall second. Then `shiplog verify` of the gzip bundle beside
// `sha256sum -c` of the raw files, in MB of content per second.
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCorpus } from './corpus.ts';
import { type BenchRow, type BenchSuite, measureProcess, type ProcessMeasure, row } from './harness.ts';

const ROOT = join(import.meta.dirname, '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const SHIPLOG = join(ROOT, 'bin', 'shiplog.js');
const FILES = 4;
const BYTES_PER_LINE = 91;

const mbOf = (bytes: number) => Math.round(bytes / 1e5) / 10;
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');

/** Empty on success; the process's own stderr is on the console (measureProcess inherits it). */
function failed(name: string, measure: ProcessMeasure): string {
  return measure.exit_code === 0 ? '' : `${name} FAILED exit ${measure.exit_code}; `;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

const suite: BenchSuite = {
  name: 'dump',
  async run(ctx) {
    const logs = join(ctx.workDir, 'logs');
    await mkdir(logs, { recursive: true });
    // One file is generated and copied: the collector reads each file on its own,
    // and gzip's 32 KB / zstd's few-MB windows cannot see across 250 MB files.
    const perFile = (ctx.quick ? 50e6 : 1e9) / FILES;
    const paths = Array.from({ length: FILES }, (_, i) => join(logs, `app-${i}.log`));
    const [first, ...rest] = paths as [string, ...string[]];
    await writeCorpus(first, Math.round(perFile / BYTES_PER_LINE));
    for (const path of rest) copyFileSync(first, path);
    const inputBytes = paths.reduce((sum, path) => sum + statSync(path).size, 0);
    const mb = mbOf(inputBytes);

    // syslog_files does not expand globs (it stats each configured path and its
    // rotations), so every file is listed.
    const config = join(ctx.workDir, 'shiplog.yaml');
    writeFileSync(
      config,
      `sources:\n  files:\n    paths:\n${paths.map((path) => `      - ${JSON.stringify(path)}\n`).join('')}`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, SHIPLOG_DATA_DIR: join(ctx.workDir, 'data') };
    delete env.SHIPLOG_ELASTICSEARCH_URL;
    const dumpArgs = (out: string, zstd: boolean) => [
      SHIPLOG,
      'dump',
      '--config',
      config,
      '--since',
      '2026-11-24T00:00:00Z',
      '--until',
      '2026-11-27T00:00:00Z',
      '--containers',
      'none-such-container',
      '--max-size',
      '10GB',
      '--out',
      out,
      ...(zstd ? ['--zstd'] : []),
    ];

    const rows: BenchRow[] = [];
    const gzBundle = join(ctx.workDir, 'bundle.tar.gz');
    const gzOut = join(ctx.workDir, 'dump-gzip.out');
    const gz = await measureProcess(NODE, dumpArgs(gzBundle, false), { env, cwd: ROOT, stdoutFile: gzOut });
    const zstBundle = join(ctx.workDir, 'bundle.tar.zst');
    const zstOut = join(ctx.workDir, 'dump-zstd.out');
    const zst = await measureProcess(NODE, dumpArgs(zstBundle, true), { env, cwd: ROOT, stdoutFile: zstOut });
    // Peers: the same raw files, no redaction, no rescan, no signature.
    const tgz = join(ctx.workDir, 'peer.tgz');
    const tarGz = await measureProcess('tar', ['-czf', tgz, '-C', logs, '.'], { cwd: ctx.workDir });
    const tzst = join(ctx.workDir, 'peer.tar.zst');
    const tarZst = await measureProcess('tar', ['-I', 'zstd', '-cf', tzst, '-C', logs, '.'], { cwd: ctx.workDir });

    const size = {
      gz: sizeOf(gzBundle),
      zst: sizeOf(zstBundle),
      tgz: sizeOf(tgz),
      tzst: sizeOf(tzst),
    };
    const tarGzRow = row('dump', 'tar -czf (raw files)', mb, 'MB', tarGz, {
      note: `${failed('tar', tarGz)}out ${mbOf(size.tgz)} MB (${ratio(size.tgz, inputBytes)} of input)`,
    });
    const tarZstRow = row('dump', 'tar -I zstd -cf (raw files)', mb, 'MB', tarZst, {
      note: `${failed('tar', tarZst)}out ${mbOf(size.tzst)} MB (${ratio(size.tzst, inputBytes)} of input); ${ratio(tarZst.wall_s > 0 ? mb / tarZst.wall_s : 0, tarGzRow.rate)}x tar -czf rate`,
    });
    const gzRow = row('dump', 'shiplog dump (gzip)', mb, 'MB', gz, { goal: tarGzRow.rate });
    gzRow.note =
      `${failed('dump', gz)}out ${mbOf(size.gz)} MB; ${ratio(gzRow.rate, tarGzRow.rate)}x tar -czf rate (goal >= 1), ` +
      `size ${ratio(size.gz, size.tgz)}x tar -czf (goal <= 1)`;
    const zstRow = row('dump', 'shiplog dump --zstd', mb, 'MB', zst, { goal: Math.round(tarGzRow.rate * 20) / 10 });
    zstRow.note =
      `${failed('dump', zst)}out ${mbOf(size.zst)} MB; ${ratio(zstRow.rate, tarGzRow.rate)}x tar -czf rate (goal >= 2), ` +
      `size ${ratio(size.zst, size.tgz)}x tar -czf (goal <= 1), ${ratio(size.zst, size.tzst)}x tar -I zstd`;
    rows.push(gzRow, zstRow, tarGzRow, tarZstRow);

    // Verify: shiplog reads the compressed bundle and checks every file against
    // the signed manifest and SHA256SUMS; sha256sum -c hashes the raw files
    // (its SHA256SUMS is written before, outside the timing).
    for (const [label, bundle, built] of [
      ['gzip', gzBundle, gz],
      ['zstd', zstBundle, zst],
    ] as const) {
      if (built.exit_code !== 0) continue;
      const report = join(ctx.workDir, `verify-${label}.json`);
      const verify = await measureProcess(NODE, [SHIPLOG, 'verify', '--json', bundle], {
        env,
        cwd: ROOT,
        stdoutFile: report,
      });
      let contentBytes = 0;
      let ok = false;
      try {
        const parsed = JSON.parse(readFileSync(report, 'utf8')) as { ok?: boolean; bytes?: number; files?: number };
        contentBytes = parsed.bytes ?? 0;
        ok = parsed.ok === true;
      } catch {
        // left at 0: the note says the output was not JSON
      }
      rows.push(
        row('dump', `shiplog verify (${label} bundle)`, mbOf(contentBytes), 'MB', verify, {
          note: `${failed('verify', verify)}${ok ? 'ok' : 'NOT ok / unparsable'}; bundle ${mbOf(sizeOf(bundle))} MB compressed`,
        }),
      );
    }
    const sums = join(ctx.workDir, 'SHA256SUMS');
    const made = await measureProcess(
      'sha256sum',
      paths.map((path) => path.slice(logs.length + 1)),
      {
        cwd: logs,
        stdoutFile: sums,
      },
    );
    if (made.exit_code === 0) {
      const check = await measureProcess('sha256sum', ['-c', '--quiet', sums], { cwd: logs });
      rows.push(row('dump', 'sha256sum -c (raw files)', mb, 'MB', check, { note: failed('sha256sum', check) || 'ok' }));
    }
    const verifyRow = rows.find((r) => r.subject === 'shiplog verify (gzip bundle)');
    const shaRow = rows.find((r) => r.subject === 'sha256sum -c (raw files)');
    if (verifyRow && shaRow) verifyRow.note += `; ${ratio(verifyRow.rate, shaRow.rate)}x sha256sum -c rate`;
    return rows;
  },
};

export default suite;
