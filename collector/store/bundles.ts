// Bundles and their ingest jobs in control.db. A bundle is one tenant's copy
// of one uploaded file: the same bytes from the same tenant are the same
// bundle (the upload answers the existing one), from two tenants two bundles
// that share a blob. Ids are derived from tenant and hash, so they reveal
// nothing across tenants and are stable across re-uploads and reindexing.
import { createHash } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { transaction } from './database.ts';

export type BundleStatus = 'received' | 'verifying' | 'indexing' | 'indexed' | 'rejected' | 'quarantined' | 'deleted';

export interface BundleRow {
  readonly id: string;
  readonly tenant: string;
  readonly sha256: string;
  readonly size: number;
  readonly received_at: string;
  readonly uploaded_by: string | null;
  readonly original_name: string | null;
  readonly status: BundleStatus;
  readonly error_code: string | null;
  readonly error_message: string | null;
  readonly site: string | null;
  readonly created_at: string | null;
  readonly signer: string | null;
  readonly encrypted: number | null;
  readonly lines: number | null;
  readonly manifest: string | null;
  readonly facts: string | null;
  readonly receipt: string | null;
  readonly indexed_at: string | null;
}

export function bundleId(tenant: string, sha256: string): string {
  return `b${createHash('sha256').update(`${tenant}\u0000${sha256}`).digest('hex').slice(0, 24)}`;
}

export interface NewBundle {
  readonly tenant: string;
  readonly sha256: string;
  readonly size: number;
  readonly uploadedBy: string;
  readonly originalName?: string;
}

/**
 * Records a received bundle and queues its ingest, or returns the existing
 * one (`created: false`). A bundle deleted earlier is received anew.
 */
export function receiveBundle(db: DatabaseSync, bundle: NewBundle): { row: BundleRow; created: boolean } {
  const id = bundleId(bundle.tenant, bundle.sha256);
  const now = new Date().toISOString();
  return transaction(db, () => {
    const existing = getBundle(db, id);
    if (existing && existing.status !== 'deleted') return { row: existing, created: false };
    if (existing) db.prepare('DELETE FROM bundles WHERE id = ?').run(id);
    db.prepare(
      `INSERT INTO bundles (id, tenant, sha256, size, received_at, uploaded_by, original_name, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'received')`,
    ).run(id, bundle.tenant, bundle.sha256, bundle.size, now, bundle.uploadedBy, bundle.originalName ?? null);
    db.prepare(`INSERT INTO jobs (bundle, state, queued_at) VALUES (?, 'queued', ?)`).run(id, now);
    return { row: getBundle(db, id) as BundleRow, created: true };
  });
}

export function getBundle(db: DatabaseSync, id: string): BundleRow | undefined {
  return db.prepare('SELECT * FROM bundles WHERE id = ?').get(id) as BundleRow | undefined;
}

export function setReceipt(db: DatabaseSync, id: string, receipt: string): void {
  db.prepare('UPDATE bundles SET receipt = ? WHERE id = ?').run(receipt, id);
}

export function setStatus(
  db: DatabaseSync,
  id: string,
  status: BundleStatus,
  error?: { code: string; message: string },
): void {
  db.prepare('UPDATE bundles SET status = ?, error_code = ?, error_message = ? WHERE id = ?').run(
    status,
    error?.code ?? null,
    error?.message ?? null,
    id,
  );
}

export interface VerifiedFields {
  readonly site: string;
  readonly createdAt: string;
  readonly signer: string;
  readonly encrypted: boolean;
  readonly manifest: string;
}

export function setVerified(db: DatabaseSync, id: string, fields: VerifiedFields): void {
  db.prepare('UPDATE bundles SET site = ?, created_at = ?, signer = ?, encrypted = ?, manifest = ? WHERE id = ?').run(
    fields.site,
    fields.createdAt,
    fields.signer,
    fields.encrypted ? 1 : 0,
    fields.manifest,
    id,
  );
}

export function setIndexed(db: DatabaseSync, id: string, lines: number, facts: string): void {
  db.prepare(
    `UPDATE bundles SET status = 'indexed', error_code = NULL, error_message = NULL, lines = ?, facts = ?, indexed_at = ?
     WHERE id = ?`,
  ).run(lines, facts, new Date().toISOString(), id);
}

export interface BundleListQuery {
  readonly tenants: readonly string[];
  readonly site?: string;
  readonly status?: BundleStatus;
  readonly limit: number;
}

export function listBundles(db: DatabaseSync, query: BundleListQuery): BundleRow[] {
  if (query.tenants.length === 0) return [];
  const marks = query.tenants.map(() => '?').join(', ');
  const where = [`tenant IN (${marks})`, `status != 'deleted'`];
  const params: (string | number)[] = [...query.tenants];
  if (query.site !== undefined) {
    where.push('site = ?');
    params.push(query.site);
  }
  if (query.status !== undefined) {
    where.push('status = ?');
    params.push(query.status);
  }
  params.push(query.limit);
  return db
    .prepare(`SELECT * FROM bundles WHERE ${where.join(' AND ')} ORDER BY received_at DESC, id LIMIT ?`)
    .all(...params) as unknown as BundleRow[];
}
