// Administration over the API: the audit log (scoped to the tenants the
// token administers), pinned site keys and accepting a site's new key (the
// quarantined bundle is then ingested again).
import type { FastifyInstance } from 'fastify';
import { CodedError } from '../../../core/coded-error.ts';
import { queryAudit, recordAudit } from '../../access/audit.ts';
import { collectorErrors } from '../../errors.ts';
import { requeue } from '../../ingest/jobs.ts';
import type { CollectorService } from '../../service.ts';
import { setStatus } from '../../store/bundles.ts';
import { acceptPending, listSiteKeys } from '../../store/site-keys.ts';
import { principalOf } from '../server.ts';

export async function adminRoutes(app: FastifyInstance, { service }: { service: CollectorService }): Promise<void> {
  app.get('/audit', async (request) => {
    const query = request.query as {
      tenant?: string;
      action?: string;
      since?: string;
      until?: string;
      limit?: string;
      cursor?: string;
    };
    const page = queryAudit(service.control, principalOf(request), {
      ...(query.tenant !== undefined && { tenants: [query.tenant] }),
      ...(query.action !== undefined && { action: query.action as never }),
      ...(query.since !== undefined && { since: query.since }),
      ...(query.until !== undefined && { until: query.until }),
      ...(query.limit !== undefined && { limit: Number(query.limit) }),
      ...(query.cursor !== undefined && { cursor: query.cursor }),
    });
    return { entries: page.entries, ...(page.nextCursor && { next: page.nextCursor }) };
  });

  app.get('/site-keys', async (request) => {
    const principal = principalOf(request);
    const tenants = principal.readable.filter((tenant) => principal.canAdmin(tenant));
    return { keys: listSiteKeys(service.control, tenants) };
  });

  app.post('/site-keys/accept', async (request) => {
    const principal = principalOf(request);
    const body = (request.body ?? {}) as { tenant?: unknown; site?: unknown };
    const tenant = typeof body.tenant === 'string' ? body.tenant : principal.tenant;
    if (typeof body.site !== 'string' || !tenant || !principal.canAdmin(tenant)) {
      throw new CodedError(collectorErrors.REQUEST_INVALID, {
        detail: 'give {"site": NAME} (and "tenant" for a global admin) of a tenant you administer',
      });
    }
    const accepted = acceptPending(service.control, tenant, body.site);
    if (!accepted) throw new CodedError(collectorErrors.NOT_FOUND, { what: `a pending key for site ${body.site}` });
    setStatus(service.control, accepted.bundle, 'received');
    requeue(service.control, accepted.bundle);
    service.queue.kick();
    recordAudit(service.control, {
      actor: principal,
      tenant,
      action: 'key.accept',
      target: body.site,
      detail: { fingerprint: accepted.fingerprint, bundle: accepted.bundle },
    });
    return { site: body.site, fingerprint: accepted.fingerprint, bundle: accepted.bundle };
  });
}
