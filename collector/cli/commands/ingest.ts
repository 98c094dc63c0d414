// `shiplog-collector ingest FILE... --tenant NAME [--json]`: bundles that
// arrived on a USB stick go through the same pipeline as an upload (stored
// by hash, verified, unpacked, scanned, indexed), in this process, while
// `serve` may run on the same data directory. Prints each bundle's outcome;
// exits 0 only when every one was indexed.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printable, terminalSafe, terminalSafeJson } from '../../../bundle/printable.ts';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError, isCodedError } from '../../../core/coded-error.ts';
import { cliActor } from '../../access/principal.ts';
import { checkTenantName, createTenant } from '../../access/tenants.ts';
import { loadCollectorConfig } from '../../config.ts';
import { collectorErrors } from '../../errors.ts';
import { bundleAnswer } from '../../http/routes/bundles.ts';
import { openCollector } from '../../service.ts';
import { getBundle } from '../../store/bundles.ts';

const usage = `Usage: shiplog-collector ingest FILE... --tenant NAME [--json] [--config FILE]

Verifies, unpacks and indexes bundle files from disk for the tenant NAME
(created if it does not exist), exactly as an upload would be. Exits 0 only
when every bundle was indexed.
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      tenant: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length === 0)
    throw new CodedError(collectorErrors.USAGE, { detail: 'give at least one bundle file' });
  if (values.tenant === undefined)
    throw new CodedError(collectorErrors.USAGE, { detail: 'give the tenant with --tenant NAME' });
  const tenant = checkTenantName(values.tenant);
  const setup = loadCollectorConfig(values.config, io.env);
  const service = await openCollector(setup, { ingest: true, concurrency: 1 });
  const actor = cliActor();
  let failed = 0;
  try {
    createTenant(service.control, tenant, actor);
    const ids: string[] = [];
    for (const file of positionals) {
      const path = resolve(io.cwd, file);
      let blob: Awaited<ReturnType<typeof service.blobs.receiveFile>>;
      try {
        blob = await service.blobs.receiveFile(path, service.maxUploadBytes);
      } catch (error) {
        throw new CodedError(collectorErrors.INGEST_FILE, {
          path,
          detail: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
        });
      }
      try {
        const received = await service.accept(blob, tenant, actor, file.split('/').at(-1));
        ids.push(received.row.id);
      } catch (error) {
        if (!isCodedError(error)) throw error;
        failed++;
        io.stdout.write(
          values.json
            ? `${JSON.stringify({ file, error: { code: error.code, message: error.message } })}\n`
            : `${file}: ${error.message} [${error.code}]\n`,
        );
      }
    }
    await service.queue.idle();
    for (const id of ids) {
      const row = getBundle(service.control, id);
      if (!row) continue;
      const answer = bundleAnswer(row);
      if (row.status !== 'indexed') failed++;
      if (values.json) io.stdout.write(`${terminalSafeJson(answer)}\n`);
      else {
        const outcome =
          row.status === 'indexed'
            ? `indexed, ${row.lines ?? 0} lines from ${printable(row.site ?? '')}`
            : `${row.status}: ${terminalSafe(row.error_message ?? '', 2000)} [${row.error_code ?? ''}]`;
        io.stdout.write(`${printable(row.original_name ?? id)} -> ${id}: ${outcome}\n`);
      }
    }
  } finally {
    await service.close();
  }
  return failed === 0 ? 0 : 1;
}
