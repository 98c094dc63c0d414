// Administration over the API: tenants and their retention, tokens (made,
// shown once, revoked), the audit log (scoped to the tenants the token
// administers), pinned site keys and accepting a site's new key (the
// quarantined bundle is then ingested again). The rules of who may do what
// live in access/ and are the same as on the command line.
import type { FastifyInstance } from 'fastify';
import { CodedError } from '../../../core/coded-error.ts';
import { queryAudit, recordAudit } from '../../access/audit.ts';
import { everyTenant, forbidden, isGlobalAdmin } from '../../access/principal.ts';
import { createTenant, listTenants, setTenantRetention } from '../../access/tenants.ts';
import { createToken, listTokens, revokeToken, type TokenInfo } from '../../access/tokens.ts';
import { collectorErrors } from '../../errors.ts';
import { requeue } from '../../ingest/jobs.ts';
import type { CollectorService } from '../../service.ts';
import { setStatus } from '../../store/bundles.ts';
import { acceptPending, listSiteKeys } from '../../store/site-keys.ts';
import { principalOf } from '../server.ts';

export async function adminRoutes(app: FastifyInstance, { service }: { service: CollectorService }): Promise<void> {
  app.get('/tenants', async (request) => {
    const principal = principalOf(request);
    const all = listTenants(service.control);
    const tenants = isGlobalAdmin(principal) ? all : all.filter((tenant) => principal.canAdmin(tenant.name));
    if (tenants.length === 0 && !isGlobalAdmin(principal)) throw forbidden(principal, 'administer tenants');
    return {
      default_retention: service.setup.config.retention,
      tenants: tenants.map((tenant) => ({
        name: tenant.name,
        created_at: tenant.createdAt,
        retention_days: tenant.retentionDays,
      })),
    };
  });

  app.post('/tenants', async (request, reply) => {
    const body = (request.body ?? {}) as { name?: unknown };
    if (typeof body.name !== 'string') throw invalid('give {"name": TENANT}');
    const { tenant, created } = createTenant(service.control, body.name, principalOf(request));
    return reply.code(created ? 201 : 200).send({ name: tenant.name, created_at: tenant.createdAt, created });
  });

  app.put('/tenants/:name/retention', async (request) => {
    const { name } = request.params as { name: string };
    const days = ((request.body ?? {}) as { days?: unknown }).days;
    if (days !== null && typeof days !== 'number') throw invalid('give {"days": N} or {"days": null} for the default');
    const tenant = setTenantRetention(service.control, name, days, principalOf(request));
    return { name: tenant.name, retention_days: tenant.retentionDays };
  });

  app.get('/tokens', async (request) => {
    const { tenant } = request.query as { tenant?: string };
    const tokens = listTokens(service.control, principalOf(request), tenant === undefined ? {} : { tenant });
    return { tokens: tokens.map(tokenAnswer) };
  });

  app.post('/tokens', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = (key: string) => {
      const value = body[key];
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string') throw invalid(`"${key}" must be a string`);
      return value;
    };
    const tenants = body.tenants;
    if (tenants !== undefined && !(Array.isArray(tenants) && tenants.every((name) => typeof name === 'string'))) {
      throw invalid('"tenants" must be a list of tenant names');
    }
    const expires = text('expires_at');
    const made = createToken(
      service.control,
      {
        role: text('role') ?? '',
        ...(text('tenant') !== undefined && { tenant: text('tenant') }),
        ...(tenants !== undefined && { tenants: tenants as string[] }),
        ...(text('label') !== undefined && { label: text('label') }),
        ...(expires !== undefined && { expiresAt: new Date(expires) }),
      },
      principalOf(request),
    );
    return reply
      .code(201)
      .send({ token: tokenAnswer(made.token), secret: made.secret, created_tenants: made.createdTenants });
  });

  app.delete('/tokens/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { token, alreadyRevoked } = revokeToken(service.control, id, principalOf(request));
    return { token: tokenAnswer(token), already_revoked: alreadyRevoked };
  });

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

function invalid(detail: string): CodedError {
  return new CodedError(collectorErrors.REQUEST_INVALID, { detail });
}

function tokenAnswer(token: TokenInfo) {
  return {
    id: token.id,
    role: token.role,
    tenant: token.tenant === everyTenant ? '*' : token.tenant,
    tenants: token.tenants,
    label: token.label,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    revoked_at: token.revokedAt,
    last_used_at: token.lastUsedAt,
    state: token.state,
  };
}
