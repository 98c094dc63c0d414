// `shiplog-collector bundles list|show|delete`: the bundles the collector
// holds, from its own machine, while `serve` runs on the same data directory.
// Values a bundle or an uploader controls (site, file name) are escaped
// before they reach the terminal. Deleting removes the bundle's index entries, unpacked files and (when no
// other bundle shares it) its blob, and is audited.
import { parseArgs } from 'node:util';
import { printable, terminalSafeJson } from '../../../bundle/printable.ts';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { recordAudit } from '../../access/audit.ts';
import { cliActor } from '../../access/principal.ts';
import { tenantNames } from '../../access/tenants.ts';
import { loadCollectorConfig } from '../../config.ts';
import { collectorErrors } from '../../errors.ts';
import { bundleAnswer, deleteBundle } from '../../http/routes/bundles.ts';
import { openCollector } from '../../service.ts';
import { type BundleStatus, getBundle, listBundles } from '../../store/bundles.ts';

const usage = `Usage: shiplog-collector bundles <list|show|delete> [options]

  bundles list [--tenant NAME] [--site HOST] [--status STATUS] [--limit N] [--json]
      the bundles, newest first, with their status and site
  bundles show ID [--json]
      one bundle: status, error, site, signer, sizes, lines, receipt
  bundles delete ID
      deletes its index entries, unpacked files and blob (audited)

  --config FILE  the collector configuration; else SHIPLOG_COLLECTOR_CONFIG
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      tenant: { type: 'string' },
      site: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [sub, ...operands] = positionals;
  if (values.help || sub === undefined) {
    io.stdout.write(usage);
    return values.help ? 0 : 2;
  }
  const usageError = (detail: string) => new CodedError(collectorErrors.USAGE, { detail });
  if (sub !== 'list' && sub !== 'show' && sub !== 'delete')
    throw usageError(`"bundles ${sub}" is not a bundles command`);
  if (sub !== 'list' && operands.length !== 1) throw usageError(`"bundles ${sub}" takes one bundle id`);
  const setup = loadCollectorConfig(values.config, io.env);
  const service = await openCollector(setup);
  try {
    if (sub === 'list') {
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw usageError('--limit takes 1 to 10000');
      const rows = listBundles(service.control, {
        tenants: values.tenant ? [values.tenant] : tenantNames(service.control),
        limit,
        ...(values.site !== undefined && { site: values.site }),
        ...(values.status !== undefined && { status: values.status as BundleStatus }),
      });
      if (values.json) io.stdout.write(`${terminalSafeJson(rows.map(bundleAnswer), 2)}\n`);
      else {
        for (const row of rows) {
          const detail = row.status === 'indexed' ? `${row.lines ?? 0} lines` : (row.error_code ?? '');
          io.stdout.write(
            `${row.id}  ${row.tenant}  ${printable(row.site ?? '-')}  ${row.received_at}  ${row.status}  ${detail}\n`,
          );
        }
      }
      return 0;
    }
    const row = getBundle(service.control, operands[0] as string);
    if (!row || row.status === 'deleted')
      throw new CodedError(collectorErrors.NOT_FOUND, { what: `bundle ${operands[0]}` });
    if (sub === 'show') {
      const answer = { ...bundleAnswer(row), ...(row.receipt && { receipt: JSON.parse(row.receipt) }) };
      if (values.json) io.stdout.write(`${terminalSafeJson(answer, 2)}\n`);
      else
        for (const [key, value] of Object.entries(answer))
          io.stdout.write(
            `${key}: ${typeof value === 'object' ? terminalSafeJson(value) : printable(String(value), 4096)}\n`,
          );
      return 0;
    }
    await deleteBundle(service, row);
    recordAudit(service.control, { actor: cliActor(), tenant: row.tenant, action: 'delete', target: row.id });
    io.stdout.write(`deleted ${row.id} (${row.tenant}, ${printable(row.site ?? 'unverified')})\n`);
    return 0;
  } finally {
    await service.close();
  }
}
