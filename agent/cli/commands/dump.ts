// `shiplog dump`: one redacted, signed support bundle, with no flags needed.
// Ends with one line: where the bundle is, how big, and what to do with it.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { formatBytes, parseBytes } from '../../../core/units.ts';
import { buildBundle } from '../../bundle/dump/build.ts';
import { resolveWindow } from '../../bundle/dump/window.ts';
import { loadAgentConfig } from '../../config.ts';
import { prepareDataDir } from '../../data-dir.ts';

const usage = `Usage: shiplog dump [options]

Collects what the vendor needs to find the cause of a problem (container
logs and states, the agent's spool, syslog, host facts), removes secrets and
personal data, checks the result once more, and writes one signed bundle.
No option is required.

  --since TIME      start of the window: a duration back (24h, 90m) or a time
                    (default: bundle.since, 24h)
  --until TIME      end of the window (default: now)
  --containers LIST names or ids, comma-separated (default: all)
  --max-size SIZE   compressed byte budget, newest data kept (default 200MB)
  --out PATH        where to write the bundle; - for standard output
                    (default: shiplog-HOST-TIME.tar.gz here)
  --recipient KEY   encrypt to the vendor's age public key (age1...)
  --zstd            compress with zstd instead of gzip
  --dry-run         list the files and their redaction counts; write nothing
  --config FILE     the agent configuration
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      since: { type: 'string' },
      until: { type: 'string' },
      containers: { type: 'string' },
      'max-size': { type: 'string' },
      out: { type: 'string' },
      recipient: { type: 'string' },
      zstd: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const config = loadAgentConfig(values.config, io.env);
  const dataDir = prepareDataDir(io.env, config.data_dir);
  const now = new Date();
  const window = resolveWindow(values.since ?? config.bundle.since, values.until, now);
  const compression = values.zstd ? 'zstd' : 'gzip';
  const recipient = values.recipient ?? config.bundle.recipient;
  const toStdout = values.out === '-';
  const output = toStdout
    ? (io.stdout as Writable)
    : resolve(io.cwd, values.out ?? defaultName(config.host_name, now, compression, recipient));
  // With the bundle on stdout, every word for the person goes to stderr.
  const say = (text: string) => io.stderr.write(`${text}\n`);
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;

  const result = await buildBundle({
    config,
    env: io.env,
    dataDir,
    window,
    containers: values.containers
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    maxBytes: parseBytes(values['max-size'] ?? config.bundle.max_size),
    output,
    compression,
    recipient,
    dryRun: values['dry-run'] === true,
    onProgress: (event) => {
      if ('collector' in event && event.phase === 'start' && tty) say(`  collecting ${event.collector}...`);
      if ('collector' in event && event.phase === 'end') {
        const run = event.run;
        const status = run.status === 'ok' ? 'done' : `${run.status}${run.error ? `: ${run.error.message}` : ''}`;
        say(`  ${run.name}: ${status} (${(run.duration_ms / 1000).toFixed(1)} s)`);
      }
      if (event.phase === 'rescan') say('  checking every file once more for anything unredacted...');
      if (event.phase === 'seal') say('  writing, signing and compressing the bundle...');
    },
  });

  if (values['dry-run']) {
    const out = toStdout ? io.stderr : io.stdout;
    for (const file of result.files) {
      out.write(
        `${formatBytes(file.size).padStart(10)}  ${String(file.redactions.total).padStart(6)} redacted  ${file.path}\n`,
      );
    }
    out.write(`dry run: ${result.files.length} files would be written; nothing was written\n`);
    return 0;
  }
  const size = formatBytes(result.sealed?.output.size ?? 0);
  const encrypted = recipient ? ', encrypted for the vendor' : '';
  const where = result.path ?? 'standard output';
  say(
    `Support bundle written to ${where} (${size}, redacted and signed${encrypted}). ` +
      'Send this file to your vendor by mail, portal or USB; SUMMARY.txt inside says what was found.',
  );
  if (!toStdout) io.stdout.write(`${where}\n`);
  return 0;
}

function defaultName(hostName: string | undefined, now: Date, compression: string, recipient?: string): string {
  const host = (hostName ?? hostname()).replace(/[^A-Za-z0-9.-]/g, '_');
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `shiplog-${host}-${stamp}.tar.${compression === 'zstd' ? 'zst' : 'gz'}${recipient ? '.age' : ''}`;
}
