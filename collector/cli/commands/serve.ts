// `shiplog-collector serve [--port N] [--host H] [--config FILE]`: the portal.
// Runs on embedded defaults (SQLite in the data directory, port 8080), prints
// the URL, and the first admin token when none exists yet, once. Ctrl-C or
// SIGTERM stops taking requests, lets running ingests finish and closes.
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { cliActor } from '../../access/principal.ts';
import { ensureFirstAdminToken } from '../../access/tokens.ts';
import { loadCollectorConfig } from '../../config.ts';
import { collectorErrors } from '../../errors.ts';
import { buildServer } from '../../http/server.ts';
import { startRetention } from '../../retention.ts';
import { openCollector } from '../../service.ts';

const usage = `Usage: shiplog-collector serve [--port N] [--host ADDRESS] [--config FILE]

Runs the vendor's portal: the upload endpoint, the API and the search pages.
With no configuration it keeps everything under its data directory
(SHIPLOG_COLLECTOR_DATA_DIR) and indexes into SQLite there.

  --port N        port to listen on (default 8080, or the config's listen)
  --host ADDRESS  address to listen on (default 0.0.0.0, or the config's listen)
  --config FILE   YAML configuration (docs/configuration.md)
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const setup = loadCollectorConfig(values.config, io.env);
  const [configHost, configPort] = splitListen(setup.config.listen);
  const port = values.port === undefined ? configPort : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CodedError(collectorErrors.USAGE, { detail: `--port ${values.port} is not a port number` });
  }
  const host = values.host ?? configHost;
  const service = await openCollector(setup, { ingest: true });
  const app = await buildServer({ service, logger: true });
  try {
    await app.listen({ port, host });
  } catch (error) {
    await service.close();
    throw new CodedError(collectorErrors.USAGE, {
      detail: `cannot listen on ${host}:${port} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    });
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const scheme = setup.config.tls ? 'https' : 'http';
  io.stderr.write(`shiplog-collector is serving on ${scheme}://${shown}:${bound}/ (data in ${setup.dataDir})\n`);
  const first = ensureFirstAdminToken(service.control, cliActor());
  if (first) {
    io.stderr.write(
      'No admin token existed, so this one was made; it is shown only now. Keep it safe:\n' +
        '(make more with "shiplog-collector token create --tenant NAME --role upload|read|admin")\n',
    );
    io.stdout.write(`${first}\n`);
  }
  const stopRetention = startRetention(service, (error) => app.log.error({ err: error }, 'retention sweep failed'));
  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.stderr.write('stopping: finishing running ingests\n');
  stopRetention();
  await app.close();
  await service.close();
  return 0;
}

function splitListen(listen: string): [string, number] {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return [host, Number(listen.slice(colon + 1))];
}
