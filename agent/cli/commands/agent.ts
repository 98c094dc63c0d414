// `shiplog agent [--config FILE]`: runs the host agent until SIGTERM/SIGINT.
// SIGHUP re-reads the configuration: a bad one is reported and the agent keeps
// running on the old one.
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import type { CliIO } from '../../../core/cli.ts';
import { type AgentConfig, loadAgentConfig, printableAgentConfig } from '../../config.ts';
import { prepareDataDir } from '../../data-dir.ts';
import { createLogger, type Logger } from '../../logger.ts';
import { Agent } from '../../runtime/agent.ts';
import { buildSources } from '../../runtime/sources.ts';
import { SelfLogFile } from '../../self-log.ts';

const usage = `Usage: shiplog agent [--config FILE]

Tails every Docker container and the host's syslog files. With
elasticsearch.url (or SHIPLOG_ELASTICSEARCH_URL) set, ships there through a
disk spool; otherwise keeps a bounded local spool for support bundles.
Logs JSON on stdout. SIGTERM drains and checkpoints; SIGHUP reloads the
configuration. See docs/configuration.md for every setting.

  --config FILE  YAML configuration (default: embedded defaults)
`;

const stopDeadlineMs = 10_000;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  let config = loadAgentConfig(values.config, io.env);
  // A busy agent promotes much of what it reads into V8's old generation
  // (records live until the spool has written them, across a few young
  // collections), and by default V8 lets that generation grow to several
  // times its live size before a full collection. Growing it by half instead
  // keeps ten busy containers under 150 MB RSS (bench docker-memory) for
  // about a fifth more CPU under that load. A network syslog listener is
  // bound by CPU instead (the flag cost it half again per message, bench
  // syslog), so an agent that listens keeps V8's default.
  const syslog = config.sources.syslog;
  if (!(syslog.udp.listen || syslog.tcp.listen || syslog.tls.listen)) setFlagsFromString('--heap-growing-percent=50');
  const dataDir = prepareDataDir(io.env, config.data_dir);
  const selfLog = new SelfLogFile(dataDir, (error) =>
    logger.warn({ err: error, path: selfLog.path }, 'the copy of these logs in the data directory stops here'),
  );
  const logger = createLogger(config.log_level, io.stdout, selfLog);
  logger.debug({ config: printableAgentConfig(config) }, 'effective configuration');

  let agent = await Agent.start({ config, dataDir, logger, buildSources });
  let reloading: Promise<void> = Promise.resolve();

  const reload = () => {
    reloading = reloading.then(async () => {
      let next: Readonly<AgentConfig>;
      try {
        next = loadAgentConfig(values.config, io.env);
      } catch (error) {
        logger.error({ err: error }, 'configuration not reloaded: the agent keeps running on the previous one');
        return;
      }
      logger.info('reloading configuration');
      await agent.stop(stopDeadlineMs);
      config = next;
      agent = await Agent.start({ config, dataDir, logger, buildSources });
    });
  };

  // The handlers stay for the whole shutdown: a second Ctrl-C (a terminal sends
  // one to the whole process group) must not kill the agent half way.
  let stopping = false;
  // Runs until told to stop, even with nothing configured that holds the event
  // loop open (every source off, the status endpoint unreferenced).
  const keepAlive = setInterval(() => {}, 2 ** 30);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onStop = (received: NodeJS.Signals) => {
      if (stopping) return logger.info({ signal: received }, 'already stopping; the spool keeps what is not delivered');
      stopping = true;
      resolve(received);
    };
    process.on('SIGHUP', reload);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
  });
  process.off('SIGHUP', reload);
  clearInterval(keepAlive);
  logger.info({ signal }, 'stopping: draining sources and saving checkpoints');
  await reloading;
  await withDeadline(agent.stop(stopDeadlineMs), stopDeadlineMs + 2000, logger);
  selfLog.close();
  return 0;
}

async function withDeadline(work: Promise<void>, ms: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.warn('stop deadline passed; exiting with undelivered events left in the spool');
      resolve();
    }, ms);
  });
  await Promise.race([work, late]);
  clearTimeout(timer);
}
