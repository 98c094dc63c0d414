// `shiplog dump`: one redacted, signed support bundle, with no flags needed.
// Ends with one line: where the bundle is, how big, and what to do with it.
// Ctrl-C (or SIGTERM, SIGHUP) stops the build, removes what it wrote, and
// ends the process by that same signal, as a shell expects.
import { constants, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type CliIO, describeError } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { formatBytes, parseBytes } from '../../../core/units.ts';
import { buildBundle } from '../../bundle/dump/build.ts';
import { resolveWindow } from '../../bundle/dump/window.ts';
import { loadAgentConfig } from '../../config.ts';
import { prepareDataDir } from '../../data-dir.ts';
import { agentErrors } from '../../errors.ts';

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
  --out PATH        where to write the bundle, a new file; - for standard
                    output (default: shiplog-HOST-TIME.tar.gz here)
  --force           replace the file at --out if one exists (never a
                    directory, FIFO, socket, device or symbolic link)
  --recipient KEY   encrypt to the vendor's age public key (age1...)
  --zstd            compress with zstd instead of gzip
  --dry-run         list the files and their redaction counts; write nothing
  --upload URL      then send the bundle to the vendor's portal at URL, as
                    "shiplog upload" does (token: SHIPLOG_UPLOAD_TOKEN)
  --token-file FILE with --upload: read the upload token from FILE
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
      force: { type: 'boolean' },
      recipient: { type: 'string' },
      zstd: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      upload: { type: 'string' },
      'token-file': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  // Checked before anything is built: a wrong URL or a missing token should not cost a whole dump.
  const upload = await prepareUpload(values, io);
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

  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) return;
    say(`  stopping (${signal}): removing what this run wrote...`);
    stop.abort(new CodedError(agentErrors.DUMP_INTERRUPTED, { signal }));
  };
  for (const signal of stopSignals) process.on(signal, onSignal);
  const building = buildBundle({
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
    force: values.force === true,
    signal: stop.signal,
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
  let result: Awaited<typeof building>;
  try {
    result = await building;
  } catch (error) {
    const reason = stop.signal.reason as CodedError | undefined;
    if (error !== reason || reason === undefined) throw error;
    // Cleaned up: now end as the signal would have ended us, so that the shell sees it (exit status 128+n).
    io.stderr.write(describeError('shiplog', error, false));
    const signal = String(reason.details.signal) as NodeJS.Signals;
    removeHandlers(onSignal);
    process.kill(process.pid, signal);
    // Still here: the signal is ignored in this process (nohup); exit as the shell would report it.
    return 128 + (constants.signals[signal] ?? 0);
  } finally {
    removeHandlers(onSignal);
  }

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
      (upload
        ? `Uploading it to ${upload.endpoint.origin}; SUMMARY.txt inside says what was found.`
        : 'Send this file to your vendor by mail, portal or USB; SUMMARY.txt inside says what was found.'),
  );
  if (!toStdout) io.stdout.write(`${where}\n`);
  if (upload && result.path) {
    const { sendBundle } = await import('../../upload/send.ts');
    const sent = await sendBundle({ bundle: result.path, endpoint: upload.endpoint, token: upload.token, say });
    for (const line of sent.lines) say(line);
  }
  return 0;
}

/** --upload URL: the endpoint and token, checked up front; undefined without --upload. */
async function prepareUpload(
  values: { upload?: string; 'token-file'?: string; out?: string; 'dry-run'?: boolean },
  io: CliIO,
): Promise<{ endpoint: URL; token: string } | undefined> {
  if (values.upload === undefined) {
    if (values['token-file'] !== undefined) throw usageError('--token-file goes with --upload URL');
    return undefined;
  }
  if (values.out === '-' || values['dry-run']) {
    throw usageError(
      `--upload sends a bundle file: it does not go with ${values.out === '-' ? '--out -' : '--dry-run'}`,
    );
  }
  const { readUploadToken, uploadEndpoint } = await import('../../upload/send.ts');
  const endpoint = uploadEndpoint(values.upload);
  const file = values['token-file'];
  return { endpoint, token: await readUploadToken(io.env, file === undefined ? undefined : resolve(io.cwd, file)) };
}

function usageError(detail: string): CodedError {
  return new CodedError(agentErrors.USAGE, { detail });
}

const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function removeHandlers(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of stopSignals) process.off(signal, handler);
}

function defaultName(hostName: string | undefined, now: Date, compression: string, recipient?: string): string {
  const host = (hostName ?? hostname()).replace(/[^A-Za-z0-9.-]/g, '_');
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `shiplog-${host}-${stamp}.tar.${compression === 'zstd' ? 'zst' : 'gz'}${recipient ? '.age' : ''}`;
}
