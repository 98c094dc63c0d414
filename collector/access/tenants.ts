// Tenants: the customers whose bundles the collector keeps apart. A tenant is
// a row in control.db with a slug name (see tenant-name.ts for why the name
// rule is a security boundary) and an optional retention of its own.
import type { DatabaseSync } from 'node:sqlite';
import { CodedError } from '../../core/coded-error.ts';
import { collectorErrors } from '../errors.ts';
import { transaction } from '../store/database.ts';
import { recordAudit } from './audit.ts';
import { type Actor, everyTenant, requireAbility } from './principal.ts';
import { checkTenantName, isTenantName, quoted } from './tenant-name.ts';

export { checkTenantName, isTenantName };

export interface Tenant {
  readonly name: string;
  readonly createdAt: string;
  /** Days its bundles are kept; null: the collector's `retention` setting. */
  readonly retentionDays: number | null;
}

export const maxRetentionDays = 36_500;

interface TenantRow {
  name: string;
  created_at: string;
  retention_days: number | null;
}

export function getTenant(db: DatabaseSync, name: string): Tenant | undefined {
  if (!isTenantName(name)) return undefined;
  const row = db.prepare('SELECT name, created_at, retention_days FROM tenants WHERE name = ?').get(name) as
    | TenantRow
    | undefined;
  return row && toTenant(row);
}

/** The tenant, or COLLECTOR_ERR_TENANT_NAME_INVALID / COLLECTOR_ERR_TENANT_NOT_FOUND. */
export function requireTenant(db: DatabaseSync, name: string): Tenant {
  const tenant = getTenant(db, checkTenantName(name));
  if (!tenant) throw new CodedError(collectorErrors.TENANT_NOT_FOUND, { name });
  return tenant;
}

export function listTenants(db: DatabaseSync): Tenant[] {
  const rows = db.prepare('SELECT name, created_at, retention_days FROM tenants ORDER BY name').all();
  return (rows as unknown as TenantRow[]).map(toTenant);
}

export function tenantNames(db: DatabaseSync): string[] {
  return (db.prepare('SELECT name FROM tenants ORDER BY name').all() as unknown as Array<{ name: string }>).map(
    (row) => row.name,
  );
}

/**
 * Creates the tenant, or finds it when it exists (then nothing changes and
 * nothing is audited). Only the command line and global admins may.
 */
export function createTenant(
  db: DatabaseSync,
  name: string,
  actor: Actor,
  now: Date = new Date(),
): { tenant: Tenant; created: boolean } {
  checkTenantName(name);
  requireAbility(actor, 'admin', everyTenant, `create tenant ${quoted(name)}`);
  return transaction(db, () => {
    const created = addTenantIfAbsent(db, name, actor, now);
    return { tenant: getTenant(db, name) as Tenant, created };
  });
}

/**
 * Inside a caller's transaction: adds the tenant when absent and audits that.
 * The caller has checked the name and the actor's right to create tenants.
 */
export function addTenantIfAbsent(db: DatabaseSync, name: string, actor: Actor, now: Date): boolean {
  const result = db
    .prepare('INSERT INTO tenants (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING')
    .run(name, now.toISOString());
  if (result.changes === 0) return false;
  recordAudit(db, { actor, tenant: name, action: 'tenant.create', target: name, at: now });
  return true;
}

/** Sets how many days the tenant's bundles are kept; null returns it to the collector's default. */
export function setTenantRetention(
  db: DatabaseSync,
  name: string,
  days: number | null,
  actor: Actor,
  now: Date = new Date(),
): Tenant {
  checkTenantName(name);
  requireAbility(actor, 'admin', name, `set the retention of tenant ${quoted(name)}`);
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > maxRetentionDays)) {
    throw new CodedError(collectorErrors.TENANT_RETENTION_INVALID, { value: quoted(String(days)) });
  }
  return transaction(db, () => {
    const previous = requireTenant(db, name);
    db.prepare('UPDATE tenants SET retention_days = ? WHERE name = ?').run(days, name);
    recordAudit(db, {
      actor,
      tenant: name,
      action: 'retention.set',
      target: name,
      detail: { days, previous: previous.retentionDays },
      at: now,
    });
    return { ...previous, retentionDays: days };
  });
}

function toTenant(row: TenantRow): Tenant {
  return { name: row.name, createdAt: row.created_at, retentionDays: row.retention_days };
}
