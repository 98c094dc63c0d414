// `shiplog-collector tenant create|list`: the customers whose bundles the
// collector keeps apart. Creating one that exists changes nothing (with
// --retention, it sets the retention), so scripts may run it every time.
import type { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { parseDuration } from '../../../core/units.ts';
import { cliActor } from '../../access/principal.ts';
import { quoted } from '../../access/tenant-name.ts';
import { createTenant, listTenants, maxRetentionDays, setTenantRetention, type Tenant } from '../../access/tenants.ts';
import { type CollectorSetup, loadCollectorConfig, openCollectorControl } from '../../config.ts';
import { collectorErrors } from '../../errors.ts';
import { table } from '../table.ts';

const usage = `Usage: shiplog-collector tenant <create|list> [options]

A tenant is one customer: its bundles, indexes and tokens are kept apart
from every other tenant's. Names are 1 to 63 lower-case letters, digits,
"-" or "_", starting with a letter or digit.

  tenant create NAME [--retention 90d]
      adds the tenant (nothing changes when it exists); --retention sets how
      long its bundles are kept, in days or weeks ("default": the collector's
      retention setting)
  tenant list [--json]
      every tenant with its retention

  --json         print JSON
  --config FILE  the collector configuration (for data_dir); else SHIPLOG_COLLECTOR_CONFIG
`;

const dayMs = 86_400_000;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(args);
  const [sub, ...operands] = positionals;
  if (values.help || sub === 'help') {
    io.stdout.write(usage);
    return 0;
  }
  if (sub !== 'create' && sub !== 'list') {
    throw usageError(sub === undefined ? '"tenant" needs create or list' : `"tenant ${sub}" is not a tenant command`);
  }
  if (sub === 'create' && operands.length !== 1) throw usageError('"tenant create" takes one tenant name');
  if (sub === 'list' && operands.length > 0) throw usageError('"tenant list" takes no arguments');
  if (sub === 'create' && values.json) throw usageError('"tenant create" takes no --json');
  if (sub === 'list' && values.retention !== undefined) throw usageError('"tenant list" takes no --retention');

  const setup = loadCollectorConfig(values.config, io.env);
  const db = openCollectorControl(setup);
  try {
    if (sub === 'create') return create(db, operands[0] as string, values.retention, io);
    return list(db, setup, values.json === true, io);
  } finally {
    db.close();
  }
}

function create(db: DatabaseSync, name: string, retention: string | undefined, io: CliIO): number {
  const days = retention === undefined ? undefined : retentionDays(retention);
  const actor = cliActor();
  const { tenant, created } = createTenant(db, name, actor);
  io.stdout.write(created ? `Created tenant ${tenant.name}.\n` : `Tenant ${tenant.name} exists already.\n`);
  if (days !== undefined && days !== tenant.retentionDays) {
    setTenantRetention(db, tenant.name, days, actor);
    io.stdout.write(
      days === null
        ? `Its bundles are kept as long as the collector's retention setting says.\n`
        : `Its bundles are kept ${days} days.\n`,
    );
  }
  return 0;
}

function list(db: DatabaseSync, setup: CollectorSetup, json: boolean, io: CliIO): number {
  const tenants = listTenants(db);
  const defaultDays = Math.ceil(parseDuration(setup.config.retention) / dayMs);
  const effective = (tenant: Tenant) => tenant.retentionDays ?? defaultDays;
  if (json) {
    const rows = tenants.map((tenant) => ({
      name: tenant.name,
      created_at: tenant.createdAt,
      retention_days: tenant.retentionDays,
      effective_retention_days: effective(tenant),
    }));
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (tenants.length === 0) {
    io.stdout.write('No tenants yet. Add one with "tenant create NAME" or "token create --tenant NAME".\n');
    return 0;
  }
  const rows = [
    ['NAME', 'CREATED', 'RETENTION'],
    ...tenants.map((tenant) => [
      tenant.name,
      `${tenant.createdAt.slice(0, 16).replace('T', ' ')}Z`,
      tenant.retentionDays === null ? `${defaultDays}d (default)` : `${tenant.retentionDays}d`,
    ]),
  ];
  io.stdout.write(table(rows));
  return 0;
}

/** `--retention`: whole days ("90d", "12w"), or "default" for the collector's setting. */
function retentionDays(text: string): number | null {
  if (text === 'default') return null;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    ms = Number.NaN;
  }
  const days = ms / dayMs;
  if (!Number.isInteger(days) || days < 1 || days > maxRetentionDays) {
    throw new CodedError(collectorErrors.TENANT_RETENTION_INVALID, { value: quoted(text) });
  }
  return days;
}

function parseCommandArgs(args: string[]) {
  return parseArgs({
    args,
    options: {
      retention: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}

function usageError(detail: string): CodedError {
  return new CodedError(collectorErrors.USAGE, { detail });
}
