// Findings in control.db, beside their bundle: saved once per ingest (a
// reindex replaces them), listed for a bundle's page, and the previous
// bundle's fetched to tell what is new. A resolved finding is stored with
// the bundle that no longer shows it; its evidence points into the bundle
// that did. The migration below is for collector/store/control.ts.
import type { DatabaseSync } from 'node:sqlite';
import { transaction } from '../store/database.ts';
import type { Evidence, FindingState, Severity, TrackedFinding } from './finding.ts';

/** Migration for control.db: one row per finding of a bundle. */
export const findingsMigration = `
  CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    bundle TEXT NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
    tenant TEXT NOT NULL,
    site TEXT NOT NULL,               -- host.name from the manifest
    analyzer TEXT NOT NULL,           -- restart-loop, error-burst, known-issue, ...
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    key TEXT NOT NULL,                -- the same problem across bundles of a site: restart-loop:api
    title TEXT NOT NULL,
    detail TEXT,
    evidence TEXT NOT NULL,           -- JSON array of {kind: line, file, line} | {kind: field, file, path, value}
    state TEXT NOT NULL CHECK (state IN ('new', 'still', 'resolved'))
  ) STRICT;
  CREATE INDEX findings_bundle ON findings (bundle);
  CREATE INDEX findings_tenant_site_key ON findings (tenant, site, key);
`;

export interface StoredFinding extends TrackedFinding {
  readonly bundle: string;
}

interface Row {
  bundle: string;
  analyzer: string;
  severity: Severity;
  key: string;
  title: string;
  detail: string | null;
  evidence: string;
  state: FindingState;
}

/** Replaces a bundle's findings (this bundle's, and the resolved ones) in one transaction. */
export function saveFindings(
  db: DatabaseSync,
  where: { readonly bundle: string; readonly tenant: string; readonly site: string },
  findings: readonly TrackedFinding[],
): void {
  transaction(db, () => {
    db.prepare('DELETE FROM findings WHERE bundle = ?').run(where.bundle);
    const insert = db.prepare(
      `INSERT INTO findings (bundle, tenant, site, analyzer, severity, key, title, detail, evidence, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const finding of findings) {
      insert.run(
        where.bundle,
        where.tenant,
        where.site,
        finding.analyzer,
        finding.severity,
        finding.key,
        finding.title,
        finding.detail ?? null,
        JSON.stringify(finding.evidence),
        finding.state,
      );
    }
  });
}

/** A bundle's findings, worst first, then new before still before resolved. */
export function listFindings(db: DatabaseSync, bundle: string): StoredFinding[] {
  const rows = db
    .prepare(
      `SELECT bundle, analyzer, severity, key, title, detail, evidence, state FROM findings WHERE bundle = ?
       ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                CASE state WHEN 'new' THEN 0 WHEN 'still' THEN 1 ELSE 2 END, key, id`,
    )
    .all(bundle) as unknown as Row[];
  return rows.map(fromRow);
}

/**
 * The findings of the site's latest indexed bundle made before `beforeCreatedAt`
 * (manifest.created_at), or undefined when the site has no such bundle.
 */
export function previousFindings(
  db: DatabaseSync,
  tenant: string,
  site: string,
  beforeCreatedAt: string,
): { readonly bundle: string; readonly findings: StoredFinding[] } | undefined {
  const previous = db
    .prepare(
      `SELECT id FROM bundles WHERE tenant = ? AND site = ? AND status = 'indexed' AND created_at < ?
       ORDER BY created_at DESC, id DESC LIMIT 1`,
    )
    .get(tenant, site, beforeCreatedAt) as { id: string } | undefined;
  if (!previous) return undefined;
  return { bundle: previous.id, findings: listFindings(db, previous.id) };
}

function fromRow(row: Row): StoredFinding {
  return {
    bundle: row.bundle,
    analyzer: row.analyzer,
    severity: row.severity,
    title: row.title,
    ...(row.detail !== null && { detail: row.detail }),
    key: row.key,
    evidence: JSON.parse(row.evidence) as Evidence[],
    state: row.state,
  };
}
