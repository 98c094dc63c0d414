// `shiplog ship [--config FILE] [--timeout DURATION] PATH...`: reads files to
// their end into the configured sink (Elasticsearch when set, else the local
// spool), waits for every event to be acknowledged, prints one line and
// exits. A sink that acknowledges nothing for --timeout (an Elasticsearch
// that never answers, or refuses connections) ends the run with
// SHIP_TIMEOUT, which says what was shipped and what is left.
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { formatBytes, parseDuration } from '../../../core/units.ts';
import { loadAgentConfig } from '../../config.ts';
import { prepareDataDir } from '../../data-dir.ts';
import { agentErrors } from '../../errors.ts';
import { Counters } from '../../pipeline/counters.ts';
import type { EventWriter } from '../../pipeline/types.ts';
import { newShipProgress, type ShipProgress, shipFiles, shippedFiles } from '../../ship/ship.ts';
import { Spool, SpoolEventWriter, spoolOptionsFromConfig } from '../../spool/index.ts';

/** Long enough to ride out a cluster's restart or a slow bulk answer; short enough for a one-shot command. */
const DEFAULT_TIMEOUT = '2m';

const usage = `Usage: shiplog ship [--config FILE] [--timeout DURATION] PATH...

Reads each file (plain or .gz) to its end through the agent's parser and
multiline merge, into Elasticsearch when elasticsearch.url is set, else into
the local spool. Exits 0 only when every event was acknowledged. Shipping a
file twice stores it once (event ids come from the file and line offsets).

  --config FILE       YAML configuration (default: embedded defaults)
  --timeout DURATION  give up when nothing has been acknowledged for this long
                      (default ${DEFAULT_TIMEOUT}; e.g. 30s, 10m; 0 waits for ever). Exits 1 with
                      SHIPLOG_ERR_SHIP_TIMEOUT and says what was shipped and
                      what is left; nothing is lost, run the same command again.
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { config: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length === 0)
    throw new CodedError(agentErrors.USAGE, { detail: 'shiplog ship needs at least one file' });
  const timeoutMs = timeoutOf(values.timeout ?? DEFAULT_TIMEOUT);
  const config = loadAgentConfig(values.config, io.env);
  const dataDir = prepareDataDir(io.env, config.data_dir);
  const counters = new Counters();
  const started = process.hrtime.bigint();
  const warn = (error: CodedError) => io.stderr.write(`shiplog: ${error.message} [${error.code}]\n`);

  let writer: EventWriter;
  let target: string;
  let close: () => Promise<void>;
  let rejected = () => 0;
  let lastError = (): string | undefined => undefined;
  if (config.elasticsearch) {
    // Loaded only when used: the client is a fifth of the process's memory.
    const { ElasticsearchSink } = await import('../../sinks/elasticsearch/sink.ts');
    const sink = new ElasticsearchSink({ config: config.elasticsearch, dataDir, telemetry: counters, onError: warn });
    writer = {
      write: async (events, signal) => void (await sink.deliver(events, signal)),
      writeRecords: async (records, signal) => void (await sink.deliverRecords(records, signal)),
    };
    target = `Elasticsearch ${sink.health().url} (${sink.health().dataStream})`;
    close = () => sink.close();
    rejected = () => sink.health().rejected;
    lastError = () => {
      const last = sink.health().lastError;
      // Its first sentence says what happened; the rest is advice for the agent, not for ship.
      return last ? `${last.message.split('. ')[0]} [${last.code}]` : undefined;
    };
  } else {
    const spool = await Spool.open({
      ...spoolOptionsFromConfig(config.spool, dataDir),
      mode: 'ring',
      telemetry: counters,
    });
    writer = new SpoolEventWriter(spool);
    target = `the local spool in ${dataDir}`;
    close = () => spool.close();
  }

  // A watchdog: every acknowledgement puts off the deadline; reaching it aborts the writes in flight.
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const watch = () => {
    if (timeoutMs === 0) return;
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(new Error('timeout')), timeoutMs);
  };
  const progress = newShipProgress(positionals, watch);
  let summary: Awaited<ReturnType<typeof shipFiles>>;
  try {
    watch();
    summary = await shipFiles(positionals, {
      writer,
      config: config.sources.files,
      hostName: config.host_name,
      signal: abort.signal,
      progress,
      // Elasticsearch wants more in flight than the spool: it answers in tens of milliseconds.
      ...(config.elasticsearch ? { batchEvents: config.elasticsearch.batch_events, inFlight: 4 } : {}),
    });
  } catch (error) {
    if (abort.signal.aborted) {
      throw timedOut(progress, {
        target,
        timeout: values.timeout ?? DEFAULT_TIMEOUT,
        lastError: lastError(),
      });
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new CodedError(agentErrors.SHIP_UNREADABLE, {
        path: (error as NodeJS.ErrnoException).path ?? positionals.join(' '),
        detail: code,
      });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    await close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const refused = rejected();
  const rate = Math.round(summary.lines / Math.max(seconds, 0.001));
  io.stdout.write(
    `shipped ${summary.lines} lines as ${summary.events - refused} events (${formatBytes(summary.bytes)}) from ` +
      `${summary.files} file(s) to ${target} in ${seconds.toFixed(1)} s (${rate} lines/s)` +
      (refused > 0 ? `; ${refused} event(s) refused and kept in the dead-letter file` : '') +
      '\n',
  );
  return refused > 0 ? 1 : 0;
}

/** --timeout as milliseconds; 0 waits for ever. */
function timeoutOf(value: string): number {
  try {
    const ms = parseDuration(value);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  } catch {
    // Falls through to the usage error.
  }
  throw new CodedError(agentErrors.USAGE, {
    detail: `--timeout "${value}" is not a duration such as 30s, 2m or 1h (0 waits for ever)`,
  });
}

/** The run ended by --timeout: what was shipped, what is left, and that rerunning is safe. */
function timedOut(
  progress: ShipProgress,
  context: { target: string; timeout: string; lastError?: string },
): CodedError {
  const done = shippedFiles(progress);
  const left = progress.files.filter((file) => !done.includes(file));
  const describe = (file: (typeof left)[number]) =>
    file.events === 0
      ? `${file.path} (not started)`
      : `${file.path} (${file.acknowledged} of ${file.events}${file.read ? '' : '+'} events acknowledged)`;
  return new CodedError(agentErrors.SHIP_TIMEOUT, {
    target: context.target,
    timeout: context.timeout,
    detail: context.lastError ?? 'no answer at all',
    acknowledged: progress.acknowledged,
    shipped: done.length,
    files: progress.files.length,
    left: left.map(describe).join(', '),
  });
}
