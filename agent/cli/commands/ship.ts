// `shiplog ship [--config FILE] PATH...`: reads files to their end into the
// configured sink (Elasticsearch when set, else the local spool), waits for
// every event to be acknowledged, prints one line and exits.
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { formatBytes } from '../../../core/units.ts';
import { loadAgentConfig } from '../../config.ts';
import { prepareDataDir } from '../../data-dir.ts';
import { agentErrors } from '../../errors.ts';
import { Counters } from '../../pipeline/counters.ts';
import type { EventWriter } from '../../pipeline/types.ts';
import { shipFiles } from '../../ship/ship.ts';
import { Spool, SpoolEventWriter, spoolOptionsFromConfig } from '../../spool/index.ts';

const usage = `Usage: shiplog ship [--config FILE] PATH...

Reads each file (plain or .gz) to its end through the agent's parser and
multiline merge, into Elasticsearch when elasticsearch.url is set, else into
the local spool. Exits 0 only when every event was acknowledged. Shipping a
file twice stores it once (event ids come from the file and line offsets).

  --config FILE  YAML configuration (default: embedded defaults)
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length === 0)
    throw new CodedError(agentErrors.USAGE, { detail: 'shiplog ship needs at least one file' });
  const config = loadAgentConfig(values.config, io.env);
  const dataDir = prepareDataDir(io.env, config.data_dir);
  const counters = new Counters();
  const started = process.hrtime.bigint();
  const warn = (error: CodedError) => io.stderr.write(`shiplog: ${error.message} [${error.code}]\n`);

  let writer: EventWriter;
  let target: string;
  let close: () => Promise<void>;
  let rejected = () => 0;
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

  let summary: Awaited<ReturnType<typeof shipFiles>>;
  try {
    summary = await shipFiles(positionals, {
      writer,
      config: config.sources.files,
      hostName: config.host_name,
      // Elasticsearch wants more in flight than the spool: it answers in tens of milliseconds.
      ...(config.elasticsearch ? { batchEvents: config.elasticsearch.batch_events, inFlight: 4 } : {}),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new CodedError(agentErrors.SHIP_UNREADABLE, {
        path: (error as NodeJS.ErrnoException).path ?? positionals.join(' '),
        detail: code,
      });
    }
    throw error;
  } finally {
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
