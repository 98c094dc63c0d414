// "Which other customers hit this, on which version?": the sites whose latest
// bundle showing a finding of the same key (the same problem: a restart loop
// of the same container, the same error template, the same known issue)
// still has it, across every tenant the asker may read, with the images
// those sites ran. Tenants the asker may not read are never looked at.
import type { DatabaseSync } from 'node:sqlite';
import type { BundleFacts } from '../ingest/facts.ts';

export interface SiteWithFinding {
  readonly tenant: string;
  readonly site: string;
  readonly bundle: string;
  readonly created_at: string | null;
  readonly analyzer: string;
  readonly title: string;
  readonly state: string;
  /** The images (with their tags) the site's containers ran in that bundle. */
  readonly images: readonly string[];
}

interface Row {
  tenant: string;
  site: string;
  bundle: string;
  created_at: string | null;
  analyzer: string;
  title: string;
  state: string;
  facts: string | null;
}

/** One row per site (its newest bundle with the finding), newest first; at most `limit` sites. */
export function sitesWithFinding(
  db: DatabaseSync,
  tenants: readonly string[],
  key: string,
  limit = 200,
): SiteWithFinding[] {
  if (tenants.length === 0) return [];
  const rows = db
    .prepare(
      `SELECT f.tenant, f.site, f.bundle, b.created_at, f.analyzer, f.title, f.state, b.facts
       FROM findings f JOIN bundles b ON b.id = f.bundle
       WHERE f.key = ? AND f.state != 'resolved' AND b.status = 'indexed'
         AND f.tenant IN (SELECT value FROM json_each(?))
       ORDER BY b.created_at DESC, f.bundle`,
    )
    .all(key, JSON.stringify(tenants)) as unknown as Row[];
  const seen = new Set<string>();
  const sites: SiteWithFinding[] = [];
  for (const row of rows) {
    const where = `${row.tenant}\u0000${row.site}`;
    if (seen.has(where)) continue;
    seen.add(where);
    sites.push({
      tenant: row.tenant,
      site: row.site,
      bundle: row.bundle,
      created_at: row.created_at,
      analyzer: row.analyzer,
      title: row.title,
      state: row.state,
      images: imagesOf(row.facts),
    });
    if (sites.length >= limit) break;
  }
  return sites;
}

function imagesOf(facts: string | null): string[] {
  if (!facts) return [];
  try {
    const parsed = JSON.parse(facts) as BundleFacts;
    return [
      ...new Set(parsed.containers.map((container) => container.image).filter((image) => !!image)),
    ].sort() as string[];
  } catch {
    return [];
  }
}
