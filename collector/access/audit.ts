// The audit log: who did what to which tenant's data, in control.db. Every
// change to tenants and tokens is recorded in the same transaction as the
// change itself; the HTTP layer records reads (search, view, download). A
// caller reads back only the entries of tenants it administers: an admin of
// one tenant never sees another's, and entries of no tenant (staff and
// global tokens) are for global admins and the command line.
import type { DatabaseSync } from 'node:sqlite';
import { CodedError } from '../../core/coded-error.ts';
import { collectorErrors } from '../errors.ts';
import { type Actor, actorMay, actorName, everyTenant, forbidden } from './principal.ts';
import { checkTenantName, quoted } from './tenant-name.ts';

export const auditActions = [
  'upload',
  'search',
  'view',
  'download',
  'delete',
  'token.create',
  'token.revoke',
  'tenant.create',
  'key.accept',
  'retention.set',
  'sign-in',
] as const;
export type AuditAction = (typeof auditActions)[number];

export interface AuditRecord {
  readonly actor: Actor;
  /** The tenant acted on; null for what belongs to no tenant (staff and global tokens). */
  readonly tenant: string | null;
  readonly action: AuditAction;
  /** Bundle id, token id, tenant name, the search query... */
  readonly target?: string | null;
  readonly detail?: Readonly<Record<string, unknown>> | null;
  readonly at?: Date;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly tokenId: string | null;
  /** 'token:tok_...' or 'cli:<user>'. */
  readonly actor: string;
  readonly tenant: string | null;
  readonly action: AuditAction;
  readonly target: string | null;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

export interface AuditQuery {
  /** Only these tenants (each one the caller administers); all it administers when absent. */
  readonly tenants?: readonly string[];
  readonly action?: AuditAction;
  /** Entries at or after this time. */
  readonly since?: Date | string;
  /** Entries before this time. */
  readonly until?: Date | string;
  /** 1 to 1000; 100 when absent. */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface AuditPage {
  /** Newest first. */
  readonly entries: readonly AuditEntry[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

const defaultLimit = 100;
const maxLimit = 1000;

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && (auditActions as readonly string[]).includes(value);
}

/** Appends one entry; returns its id. Inside a caller's transaction when the action changes state. */
export function recordAudit(db: DatabaseSync, record: AuditRecord): number {
  if (!isAuditAction(record.action)) throw new TypeError(`unknown audit action ${quoted(record.action)}`);
  const tenant = record.tenant === null ? null : checkTenantName(record.tenant);
  const result = db
    .prepare(
      'INSERT INTO audit (at, token_id, actor, tenant, action, target, detail) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
    )
    .get(
      (record.at ?? new Date()).toISOString(),
      record.actor.kind === 'token' ? record.actor.tokenId : null,
      actorName(record.actor),
      tenant,
      record.action,
      record.target ?? null,
      record.detail ? JSON.stringify(record.detail) : null,
    ) as { id: number };
  return result.id;
}

/** One page of the entries `viewer` may see, newest first. */
export function queryAudit(db: DatabaseSync, viewer: Actor, query: AuditQuery = {}): AuditPage {
  const where: string[] = [];
  const params: Array<string | number> = [];
  const scope = auditScope(viewer, query.tenants);
  if (scope !== 'all') {
    where.push('tenant IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(scope));
  }
  if (query.action !== undefined) {
    if (!isAuditAction(query.action)) throw invalid(`there is no action ${quoted(query.action)}`);
    where.push('action = ?');
    params.push(query.action);
  }
  if (query.since !== undefined) {
    where.push('at >= ?');
    params.push(instant(query.since, 'since'));
  }
  if (query.until !== undefined) {
    where.push('at < ?');
    params.push(instant(query.until, 'until'));
  }
  if (query.cursor !== undefined) {
    if (!/^[1-9]\d{0,14}$/.test(query.cursor)) throw invalid(`the cursor ${quoted(query.cursor)} is not one it gave`);
    where.push('id < ?');
    params.push(Number(query.cursor));
  }
  const limit = query.limit ?? defaultLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) {
    throw invalid(`the limit must be a whole number from 1 to ${maxLimit}`);
  }
  const sql = `SELECT id, at, token_id, actor, tenant, action, target, detail FROM audit
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
  const rows = db.prepare(sql).all(...params, limit + 1) as unknown as AuditRow[];
  const page = rows.slice(0, limit).map(toEntry);
  const last = page.at(-1);
  return { entries: page, nextCursor: rows.length > limit && last ? String(last.id) : null };
}

/** The tenants whose entries `viewer` may read ('all': every entry, also those of no tenant). */
function auditScope(viewer: Actor, tenants: readonly string[] | undefined): readonly string[] | 'all' {
  const global = actorMay(viewer, 'admin', everyTenant);
  if (tenants === undefined) {
    if (global) return 'all';
    if (viewer.kind === 'token' && viewer.role === 'admin' && viewer.tenant !== null) {
      if (actorMay(viewer, 'admin', viewer.tenant)) return [viewer.tenant];
    }
    throw forbidden(viewer, 'read the audit log');
  }
  for (const tenant of tenants) {
    if (!actorMay(viewer, 'admin', tenant)) throw forbidden(viewer, `read the audit log of tenant ${quoted(tenant)}`);
  }
  return [...tenants];
}

function instant(value: Date | string, name: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw invalid(`${name} ${quoted(value)} is not a date and time`);
  return date.toISOString();
}

function invalid(detail: string): CodedError {
  return new CodedError(collectorErrors.AUDIT_QUERY_INVALID, { detail });
}

interface AuditRow {
  id: number;
  at: string;
  token_id: string | null;
  actor: string;
  tenant: string | null;
  action: AuditAction;
  target: string | null;
  detail: string | null;
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    tokenId: row.token_id,
    actor: row.actor,
    tenant: row.tenant,
    action: row.action,
    target: row.target,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  };
}
