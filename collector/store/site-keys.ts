// Each site's bundle-signing key, pinned per tenant on the site's first
// verified bundle (trust on first use). A later bundle signed by another key
// is quarantined and its key waits here as `pending` until an admin accepts
// it; accepting pins the new key and hands back the bundle to ingest again.
import type { DatabaseSync } from 'node:sqlite';
import { transaction } from './database.ts';

export interface SiteKey {
  readonly tenant: string;
  readonly site: string;
  readonly fingerprint: string;
  readonly public_key: string;
  readonly pinned_at: string;
  readonly pending_fingerprint: string | null;
  readonly pending_public_key: string | null;
  readonly pending_bundle: string | null;
}

export function siteKey(db: DatabaseSync, tenant: string, site: string): SiteKey | undefined {
  return db.prepare('SELECT * FROM site_keys WHERE tenant = ? AND site = ?').get(tenant, site) as SiteKey | undefined;
}

export function listSiteKeys(db: DatabaseSync, tenants: readonly string[]): SiteKey[] {
  if (tenants.length === 0) return [];
  const marks = tenants.map(() => '?').join(', ');
  return db
    .prepare(`SELECT * FROM site_keys WHERE tenant IN (${marks}) ORDER BY tenant, site`)
    .all(...tenants) as unknown as SiteKey[];
}

/** Pins `fingerprint` for the site unless a key is pinned already (two first bundles at once: the first wins). */
export function pinIfFirst(
  db: DatabaseSync,
  tenant: string,
  site: string,
  fingerprint: string,
  publicKey: string,
): void {
  db.prepare(
    `INSERT INTO site_keys (tenant, site, fingerprint, public_key, pinned_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant, site) DO NOTHING`,
  ).run(tenant, site, fingerprint, publicKey, new Date().toISOString());
}

export function setPending(
  db: DatabaseSync,
  tenant: string,
  site: string,
  fingerprint: string,
  publicKey: string,
  bundle: string,
): void {
  db.prepare(
    `UPDATE site_keys SET pending_fingerprint = ?, pending_public_key = ?, pending_bundle = ? WHERE tenant = ? AND site = ?`,
  ).run(fingerprint, publicKey, bundle, tenant, site);
}

/** Pins the pending key; returns the quarantined bundle to ingest again, or undefined when nothing was pending. */
export function acceptPending(
  db: DatabaseSync,
  tenant: string,
  site: string,
): { bundle: string; fingerprint: string } | undefined {
  return transaction(db, () => {
    const key = siteKey(db, tenant, site);
    if (!key?.pending_fingerprint || !key.pending_public_key || !key.pending_bundle) return undefined;
    db.prepare(
      `UPDATE site_keys SET fingerprint = pending_fingerprint, public_key = pending_public_key, pinned_at = ?,
         pending_fingerprint = NULL, pending_public_key = NULL, pending_bundle = NULL
       WHERE tenant = ? AND site = ?`,
    ).run(new Date().toISOString(), tenant, site);
    return { bundle: key.pending_bundle, fingerprint: key.pending_fingerprint };
  });
}
