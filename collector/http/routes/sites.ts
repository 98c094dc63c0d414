// Sites (hosts that sent bundles, per tenant) and one site's history: every
// bundle in the order it was made, with what changed from one to the next.
import type { FastifyInstance } from 'fastify';
import { CodedError } from '../../../core/coded-error.ts';
import type { BundleManifest } from '../../../schemas/bundle-manifest.ts';
import { listFindings } from '../../analyze/index.ts';
import { collectorErrors } from '../../errors.ts';
import type { BundleFacts } from '../../ingest/facts.ts';
import type { CollectorService } from '../../service.ts';
import { type SiteBundle, siteChanges } from '../../site-history.ts';
import type { BundleRow } from '../../store/bundles.ts';
import { principalOf } from '../server.ts';
import { bundleAnswer, readableTenants } from './bundles.ts';

const maxHistory = 200;

export async function siteRoutes(app: FastifyInstance, { service }: { service: CollectorService }) {
  app.get('/sites', async (request) => {
    const tenants = readableTenants(principalOf(request), (request.query as { tenant?: string }).tenant);
    const marks = tenants.map(() => '?').join(', ');
    const rows = service.control
      .prepare(
        `SELECT tenant, site, COUNT(*) AS bundles, MAX(created_at) AS last_created_at FROM bundles
         WHERE tenant IN (${marks}) AND site IS NOT NULL AND status != 'deleted'
         GROUP BY tenant, site ORDER BY last_created_at DESC LIMIT 5000`,
      )
      .all(...tenants);
    return { sites: rows };
  });

  app.get('/sites/:tenant/:site', async (request) => {
    const { tenant, site } = request.params as { tenant: string; site: string };
    readableTenants(principalOf(request), tenant);
    const rows = service.control
      .prepare(
        `SELECT * FROM bundles WHERE tenant = ? AND site = ? AND status != 'deleted'
         ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(tenant, site, maxHistory) as unknown as BundleRow[];
    if (rows.length === 0)
      throw new CodedError(collectorErrors.NOT_FOUND, { what: `site ${site} of tenant ${tenant}` });
    rows.reverse();
    const bundles = rows.map((row) => siteBundle(service, row));
    return {
      tenant,
      site,
      bundles: rows.map((row, index) => {
        const view = bundles[index] as SiteBundle;
        return {
          ...bundleAnswer(row),
          ...(view.toolVersion !== undefined && { shiplog_version: view.toolVersion }),
          ...(view.engineVersion !== undefined && { docker_version: view.engineVersion }),
          containers: view.containers,
          findings: view.findings.filter((finding) => finding.state !== 'resolved').length,
        };
      }),
      changes: siteChanges(bundles.filter((bundle) => bundle.createdAt !== null)).map((change) => ({
        from: change.from,
        bundle: change.bundle,
        versions: change.versions,
        containers: change.containers,
        findings_new: change.findingsNew,
        findings_resolved: change.findingsResolved,
      })),
    };
  });
}

function siteBundle(service: CollectorService, row: BundleRow): SiteBundle {
  const manifest = row.manifest ? (JSON.parse(row.manifest) as BundleManifest) : undefined;
  const facts = row.facts ? (JSON.parse(row.facts) as BundleFacts) : undefined;
  const engine = (facts?.engine?.version as { Version?: unknown } | undefined)?.Version;
  return {
    id: row.id,
    createdAt: row.created_at,
    ...(manifest && { toolVersion: manifest.tool.version }),
    ...(typeof engine === 'string' && { engineVersion: engine }),
    containers: facts?.containers ?? [],
    findings: row.status === 'indexed' ? listFindings(service.control, row.id) : [],
  };
}
