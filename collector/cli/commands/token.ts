// `shiplog-collector token create|list|revoke`: tokens for uploaders, scripts
// and support staff, made on the collector's own machine. Works while `serve`
// runs on the same data directory (control.db is WAL, each change one short
// transaction), and every change is audited as cli:<os user>.
import type { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { parseDuration } from '../../../core/units.ts';
import { cliActor, type Grant } from '../../access/principal.ts';
import { requireTenant } from '../../access/tenants.ts';
import { createToken, describeGrant, listTokens, revokeToken, type TokenInfo } from '../../access/tokens.ts';
import { loadCollectorConfig, openCollectorControl } from '../../config.ts';
import { collectorErrors } from '../../errors.ts';
import { table } from '../table.ts';

const usage = `Usage: shiplog-collector token <create|list|revoke> [options]

Tokens let customers upload bundles and let scripts and support staff use the
API. A new token is printed once, as the last line of stdout; the collector
keeps only its SHA-256 and cannot show it again.

  token create --tenant NAME --role upload|read|admin [--expires 30d] [--label TEXT] [--json]
      upload: send bundles to NAME and see their status; read: read NAME's
      bundles; admin: read and administer NAME. NAME is created if it is new.
  token create --tenant '*' --role admin ...
      an admin of every tenant
  token create --role staff --tenants a,b ...
      support staff reading the tenants a and b
  token list [--tenant NAME] [--json]
      every token (never its secret) with its state; with --tenant, those of
      NAME and the staff tokens that read it
  token revoke ID
      the token stops working at once

  --expires WHEN  a duration such as 30d or 12w, or a date such as 2026-06-30
  --label TEXT    a note shown in lists, such as who holds the token
  --json          print JSON
  --config FILE   the collector configuration (for data_dir); else SHIPLOG_COLLECTOR_CONFIG
`;

const allowed: Record<string, readonly string[]> = {
  create: ['tenant', 'tenants', 'role', 'expires', 'label', 'json', 'config'],
  list: ['tenant', 'json', 'config'],
  revoke: ['config'],
};

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(args);
  const [sub, ...operands] = positionals;
  if (values.help || sub === 'help') {
    io.stdout.write(usage);
    return 0;
  }
  if (sub === undefined) throw usageError('"token" needs one of create, list or revoke');
  const options = Object.hasOwn(allowed, sub) ? allowed[sub] : undefined;
  if (!options) throw usageError(`"token ${sub}" is not a token command`);
  const unexpected = Object.keys(values).find((name) => !options.includes(name));
  if (unexpected) throw usageError(`"token ${sub}" takes no --${unexpected}`);
  if (sub === 'revoke' ? operands.length !== 1 : operands.length > 0) {
    throw usageError(sub === 'revoke' ? '"token revoke" takes one token id' : `"token ${sub}" takes no arguments`);
  }

  const setup = loadCollectorConfig(values.config, io.env);
  const db = openCollectorControl(setup);
  try {
    if (sub === 'create') return create(db, values, io);
    if (sub === 'list') return list(db, values, io);
    return revoke(db, operands[0] as string, io);
  } finally {
    db.close();
  }
}

type Values = ReturnType<typeof parseCommandArgs>['values'];

function create(db: DatabaseSync, values: Values, io: CliIO): number {
  if (values.role === undefined) throw usageError('"token create" needs --role upload, read, admin or staff');
  const now = new Date();
  const made = createToken(
    db,
    {
      role: values.role,
      tenant: values.tenant,
      tenants: values.tenants?.split(',').map((name) => name.trim()),
      expiresAt: values.expires === undefined ? undefined : expiryFrom(values.expires, now),
      label: values.label,
    },
    cliActor(),
    now,
  );
  const { token, secret } = made;
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          id: token.id,
          token: secret,
          role: token.role,
          tenant: token.tenant,
          tenants: token.tenants,
          label: token.label,
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          created_tenants: made.createdTenants,
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  for (const tenant of made.createdTenants) io.stderr.write(`Created tenant ${tenant}.\n`);
  const expiry = token.expiresAt ? `expires ${token.expiresAt}` : 'does not expire';
  const label = token.label ? `, label ${JSON.stringify(token.label)}` : '';
  io.stderr.write(
    `Created token ${token.id}: ${describeGrant(token)}, ${expiry}${label}.\n` +
      'Store it now: it is shown only this once (the collector keeps only its SHA-256).\n',
  );
  io.stdout.write(`${secret}\n`);
  return 0;
}

function list(db: DatabaseSync, values: Values, io: CliIO): number {
  if (values.tenant !== undefined && values.tenant !== '*') requireTenant(db, values.tenant);
  const tokens = listTokens(db, cliActor(), { tenant: values.tenant });
  if (values.json) {
    io.stdout.write(`${JSON.stringify(tokens.map(tokenJson), null, 2)}\n`);
    return 0;
  }
  if (tokens.length === 0) {
    io.stdout.write(
      values.tenant === undefined ? 'No tokens yet. Create one with "token create".\n' : 'No tokens for this tenant.\n',
    );
    return 0;
  }
  const rows = [
    ['ID', 'ROLE', 'TENANT', 'STATE', 'EXPIRES', 'LAST USED', 'LABEL'],
    ...tokens.map((token) => [
      token.id,
      token.role,
      scopeOf(token),
      token.state,
      minutes(token.expiresAt) ?? 'never',
      minutes(token.lastUsedAt) ?? 'never',
      token.label ?? '',
    ]),
  ];
  io.stdout.write(table(rows));
  return 0;
}

function revoke(db: DatabaseSync, id: string, io: CliIO): number {
  const { token, alreadyRevoked } = revokeToken(db, id, cliActor());
  io.stdout.write(
    alreadyRevoked
      ? `Token ${token.id} was already revoked at ${token.revokedAt}.\n`
      : `Revoked token ${token.id} (${describeGrant(token)}); it no longer works.\n`,
  );
  return 0;
}

function tokenJson(token: TokenInfo) {
  return {
    id: token.id,
    role: token.role,
    tenant: token.tenant,
    tenants: token.tenants,
    label: token.label,
    state: token.state,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    revoked_at: token.revokedAt,
    last_used_at: token.lastUsedAt,
  };
}

/** `--expires`: a duration from now, or a date (midnight UTC) or date and time. */
function expiryFrom(text: string, now: Date): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  } else {
    try {
      return new Date(now.getTime() + parseDuration(text));
    } catch {
      // Falls through to the advice below.
    }
  }
  throw new CodedError(collectorErrors.TOKEN_OPTIONS_INVALID, {
    detail: `--expires ${JSON.stringify(text)} is neither a duration such as 30d nor a date such as 2026-06-30`,
  });
}

function scopeOf(grant: Grant): string {
  return grant.role === 'staff' ? grant.tenants.join(',') : (grant.tenant ?? '');
}

function minutes(iso: string | null): string | undefined {
  return iso === null ? undefined : `${iso.slice(0, 16).replace('T', ' ')}Z`;
}

function parseCommandArgs(args: string[]) {
  return parseArgs({
    args,
    options: {
      tenant: { type: 'string' },
      tenants: { type: 'string' },
      role: { type: 'string' },
      expires: { type: 'string' },
      label: { type: 'string' },
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
