// Tokens: the secrets that uploaders, scripts and support staff present. A
// secret is "slc_" and 32 random bytes (base64url); it is shown once, when it
// is made, and control.db keeps only its SHA-256, so a copy of the database
// gives nobody a usable token. Each token has a public id (tok_...) for
// lists, revocation and the audit log. `authenticate` turns a presented
// secret into the Principal every later permission question is asked of.
import { createHash, randomBytes } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { CodedError } from '../../core/coded-error.ts';
import { collectorErrors } from '../errors.ts';
import { transaction } from '../store/database.ts';
import { recordAudit } from './audit.ts';
import {
  type Actor,
  actorMay,
  everyTenant,
  forbidden,
  type Grant,
  isGlobalAdmin,
  isRole,
  makePrincipal,
  type Principal,
  type Role,
} from './principal.ts';
import { checkTenantName, quoted } from './tenant-name.ts';
import { addTenantIfAbsent, tenantNames } from './tenants.ts';

export interface TokenRequest {
  /** upload, read or admin (for `tenant`), or staff (for `tenants`). Checked: it may come from a user. */
  readonly role: string;
  /** The tenant; '*' with role admin for an admin of every tenant. */
  readonly tenant?: string;
  /** Staff: the tenants it may read. */
  readonly tenants?: readonly string[];
  readonly expiresAt?: Date;
  readonly label?: string;
}

export type TokenState = 'active' | 'expired' | 'revoked';

/** What lists show of a token: never its secret, nor its hash. */
export interface TokenInfo extends Grant {
  readonly id: string;
  readonly label: string | null;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly state: TokenState;
}

export interface NewToken {
  readonly token: TokenInfo;
  /** The secret, to be shown once; it cannot be had again. */
  readonly secret: string;
  /** Tenants made for it because they did not exist. */
  readonly createdTenants: readonly string[];
}

const secretPattern = /^slc_[A-Za-z0-9_-]{43}$/;
const idPattern = /^tok_[A-Za-z0-9_-]{16}$/;
const maxLabelLength = 200;
/** last_used_at is written at most this often per token, so reads stay reads. */
const lastUsedResolutionMs = 60_000;
/** The tokens.tenant of a staff token: no tenant, and no tenant name either. */
const noTenant = '';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Creates a token and returns its secret. Tenants it names that do not exist
 * yet are created. A tenant admin may create upload, read and admin tokens
 * of its own tenant; staff and '*' tokens need a global admin or the command line.
 */
export function createToken(db: DatabaseSync, request: TokenRequest, actor: Actor, now: Date = new Date()): NewToken {
  const grant = checkRequest(request);
  const scope = isGlobalAdmin(grant) || grant.role === 'staff' ? everyTenant : (grant.tenant as string);
  if (!actorMay(actor, 'admin', scope)) throw forbidden(actor, `create a token (${describeGrant(grant)})`);
  const label = checkLabel(request.label);
  const expiresAt = checkExpiry(request.expiresAt, now);
  return transaction(db, () => {
    const createdTenants: string[] = [];
    for (const tenant of grant.role === 'staff' ? grant.tenants : grant.tenant === everyTenant ? [] : [grant.tenant]) {
      if (tenant !== null && addTenantIfAbsent(db, tenant, actor, now)) createdTenants.push(tenant);
    }
    const made = insertToken(db, grant, { label, expiresAt }, actor, now);
    return { ...made, createdTenants };
  });
}

/**
 * When no usable global admin token exists (none, or all revoked or
 * expired), creates one and returns its secret for `serve` to print once;
 * otherwise undefined. Two processes starting at once make one token.
 */
export function ensureFirstAdminToken(db: DatabaseSync, actor: Actor, now: Date = new Date()): string | undefined {
  return transaction(db, () => {
    const usable = db
      .prepare(
        `SELECT 1 FROM tokens WHERE role = 'admin' AND tenant = ? AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > ?) LIMIT 1`,
      )
      .get(everyTenant, now.toISOString());
    if (usable) return undefined;
    const grant: Grant = { role: 'admin', tenant: everyTenant, tenants: [] };
    return insertToken(db, grant, { label: 'first admin token', expiresAt: null }, actor, now).secret;
  });
}

/**
 * The principal of a presented secret, or COLLECTOR_ERR_TOKEN_UNKNOWN,
 * _REVOKED or _EXPIRED (HTTP 401). Records when it was last used, at most
 * once a minute.
 */
export function authenticate(db: DatabaseSync, secret: string, now: Date = new Date()): Principal {
  if (typeof secret !== 'string' || !secretPattern.test(secret)) {
    throw new CodedError(collectorErrors.TOKEN_UNKNOWN);
  }
  const row = db.prepare(`SELECT ${columns} FROM tokens WHERE hash = ?`).get(hashSecret(secret)) as
    | TokenRow
    | undefined;
  return principalOfRow(db, row, now);
}

/**
 * The principal of a token named by its id, checked as `authenticate` checks
 * a secret: a portal session holds its token's id, so revoking or expiring
 * the token ends the session at its next request.
 */
export function principalOfToken(db: DatabaseSync, id: string, now: Date = new Date()): Principal {
  const row = idPattern.test(id)
    ? (db.prepare(`SELECT ${columns} FROM tokens WHERE id = ?`).get(id) as TokenRow | undefined)
    : undefined;
  return principalOfRow(db, row, now);
}

function principalOfRow(db: DatabaseSync, row: TokenRow | undefined, now: Date): Principal {
  if (!row) throw new CodedError(collectorErrors.TOKEN_UNKNOWN);
  if (row.revoked_at !== null) throw new CodedError(collectorErrors.TOKEN_REVOKED, { id: row.id, at: row.revoked_at });
  const at = now.toISOString();
  if (row.expires_at !== null && row.expires_at <= at) {
    throw new CodedError(collectorErrors.TOKEN_EXPIRED, { id: row.id, at: row.expires_at });
  }
  const stale = new Date(now.getTime() - lastUsedResolutionMs).toISOString();
  if (row.last_used_at === null || row.last_used_at <= stale) {
    db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)').run(
      at,
      row.id,
      stale,
    );
  }
  return makePrincipal(row.id, toGrant(row), () => tenantNames(db));
}

/**
 * The tokens `viewer` may see, in the order they were made: every token for the command line
 * and global admins; a tenant admin sees its tenant's upload, read and admin
 * tokens. With `tenant`, those of that tenant and the staff tokens that read it.
 */
export function listTokens(
  db: DatabaseSync,
  viewer: Actor,
  filter: { readonly tenant?: string } = {},
  now: Date = new Date(),
): TokenInfo[] {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.tenant !== undefined) {
    if (filter.tenant !== everyTenant) checkTenantName(filter.tenant);
    where.push(`(tenant = ? OR (role = 'staff' AND EXISTS (SELECT 1 FROM json_each(tokens.tenants) WHERE value = ?)))`);
    params.push(filter.tenant, filter.tenant);
  }
  if (!actorMay(viewer, 'admin', everyTenant)) {
    const own = viewer.kind === 'token' && viewer.role === 'admin' ? viewer.tenant : null;
    if (own === null || !actorMay(viewer, 'admin', own)) throw forbidden(viewer, 'list tokens');
    where.push(`tenant = ? AND role IN ('upload', 'read', 'admin')`);
    params.push(own);
  }
  const sql = `SELECT ${columns} FROM tokens ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY rowid`;
  return (db.prepare(sql).all(...params) as unknown as TokenRow[]).map((row) => toInfo(row, now));
}

/** Revokes a token; revoking it again changes nothing. A token `actor` may not see is not found. */
export function revokeToken(
  db: DatabaseSync,
  id: string,
  actor: Actor,
  now: Date = new Date(),
): { token: TokenInfo; alreadyRevoked: boolean } {
  if (actor.kind === 'token' && actor.role !== 'admin') throw forbidden(actor, 'revoke tokens');
  return transaction(db, () => {
    const row = idPattern.test(id)
      ? (db.prepare(`SELECT ${columns} FROM tokens WHERE id = ?`).get(id) as TokenRow | undefined)
      : undefined;
    if (!row || !visibleTo(row, actor)) throw new CodedError(collectorErrors.TOKEN_NOT_FOUND, { id: quoted(id) });
    if (row.revoked_at !== null) return { token: toInfo(row, now), alreadyRevoked: true };
    const at = now.toISOString();
    db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(at, id);
    const grant = toGrant(row);
    recordAudit(db, {
      actor,
      tenant: auditTenant(grant),
      action: 'token.revoke',
      target: id,
      detail: { role: grant.role, ...(grant.role === 'staff' ? { tenants: grant.tenants } : {}) },
      at: now,
    });
    return { token: toInfo({ ...row, revoked_at: at }, now), alreadyRevoked: false };
  });
}

/** "upload for tenant acme", "admin of every tenant", "staff reading a, b". */
export function describeGrant(grant: Grant): string {
  if (isGlobalAdmin(grant)) return 'admin of every tenant';
  if (grant.role === 'staff') return `staff reading ${grant.tenants.join(', ')}`;
  return `${grant.role} for tenant ${grant.tenant}`;
}

function insertToken(
  db: DatabaseSync,
  grant: Grant,
  options: { label: string | null; expiresAt: string | null },
  actor: Actor,
  now: Date,
): Omit<NewToken, 'createdTenants'> {
  const secret = `slc_${randomBytes(32).toString('base64url')}`;
  const row: TokenRow = {
    id: `tok_${randomBytes(12).toString('base64url')}`,
    role: grant.role,
    tenant: grant.tenant ?? noTenant,
    tenants: grant.role === 'staff' ? JSON.stringify(grant.tenants) : null,
    label: options.label,
    created_at: now.toISOString(),
    expires_at: options.expiresAt,
    revoked_at: null,
    last_used_at: null,
  };
  db.prepare(
    `INSERT INTO tokens (id, hash, role, tenant, tenants, label, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(row.id, hashSecret(secret), row.role, row.tenant, row.tenants, row.label, row.created_at, row.expires_at);
  recordAudit(db, {
    actor,
    tenant: auditTenant(grant),
    action: 'token.create',
    target: row.id,
    detail: {
      role: grant.role,
      ...(grant.role === 'staff' ? { tenants: grant.tenants } : {}),
      ...(isGlobalAdmin(grant) ? { tenant: everyTenant } : {}),
      expires_at: row.expires_at,
      label: row.label,
    },
    at: now,
  });
  return { token: toInfo(row, now), secret };
}

/** Checks a request from outside: a known role, with the tenant or tenants that role takes. */
function checkRequest(request: TokenRequest): Grant {
  const { role, tenant, tenants } = request;
  if (!isRole(role)) throw roleInvalid(`with role ${quoted(role)}`);
  if (role === 'staff') {
    if (tenant !== undefined) {
      throw roleInvalid('for staff with one tenant: a staff token reads the tenants its --tenants list names');
    }
    if (!tenants || tenants.length === 0) throw roleInvalid('for staff without the tenants it may read');
    const names = [...new Set(tenants.map((name) => checkTenantName(name)))].sort();
    return { role, tenant: null, tenants: names };
  }
  if (tenants !== undefined) throw roleInvalid(`"${role}" with a list of tenants: only staff tokens take --tenants`);
  if (tenant === undefined || tenant === '') throw roleInvalid(`"${role}" without a tenant`);
  if (tenant === everyTenant) {
    if (role !== 'admin') throw roleInvalid(`"${role}" for every tenant ("*"): only an admin token may have "*"`);
    return { role, tenant, tenants: [] };
  }
  return { role, tenant: checkTenantName(tenant), tenants: [] };
}

function checkLabel(label: string | undefined): string | null {
  if (label === undefined || label === '') return null;
  if (label.length > maxLabelLength) throw optionsInvalid(`the label is longer than ${maxLabelLength} characters`);
  // Labels are printed in terminals and pages: no control characters, no text-direction overrides.
  if (/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(label)) {
    throw optionsInvalid('the label holds control characters');
  }
  return label;
}

function checkExpiry(expiresAt: Date | undefined, now: Date): string | null {
  if (expiresAt === undefined) return null;
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) {
    throw optionsInvalid('the expiry is not a date');
  }
  if (expiresAt.getTime() <= now.getTime()) {
    throw optionsInvalid(`the expiry ${expiresAt.toISOString()} is not in the future`);
  }
  return expiresAt.toISOString();
}

function roleInvalid(detail: string): CodedError {
  return new CodedError(collectorErrors.TOKEN_ROLE_INVALID, { detail });
}

function optionsInvalid(detail: string): CodedError {
  return new CodedError(collectorErrors.TOKEN_OPTIONS_INVALID, { detail });
}

/** The audit entry's tenant: the token's own; none for staff and global tokens (global admins see those). */
export function auditTenant(grant: Grant): string | null {
  return grant.role === 'staff' || isGlobalAdmin(grant) ? null : grant.tenant;
}

function visibleTo(row: TokenRow, actor: Actor): boolean {
  if (actorMay(actor, 'admin', everyTenant)) return true;
  const grant = toGrant(row);
  return grant.role !== 'staff' && !isGlobalAdmin(grant) && actorMay(actor, 'admin', row.tenant);
}

const columns = 'id, role, tenant, tenants, label, created_at, expires_at, revoked_at, last_used_at';

interface TokenRow {
  id: string;
  role: Role;
  tenant: string;
  tenants: string | null;
  label: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

function toGrant(row: TokenRow): Grant {
  if (row.role === 'staff') {
    const tenants = row.tenants === null ? [] : (JSON.parse(row.tenants) as unknown);
    return { role: row.role, tenant: null, tenants: Array.isArray(tenants) ? tenants.map(String) : [] };
  }
  return { role: row.role, tenant: row.tenant, tenants: [] };
}

function toInfo(row: TokenRow, now: Date): TokenInfo {
  const state: TokenState =
    row.revoked_at !== null
      ? 'revoked'
      : row.expires_at !== null && row.expires_at <= now.toISOString()
        ? 'expired'
        : 'active';
  return {
    id: row.id,
    ...toGrant(row),
    label: row.label,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    state,
  };
}
