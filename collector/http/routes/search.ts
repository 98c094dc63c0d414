// Search over the tenants a token may read: hits in time order with a
// cursor, a time histogram, facet counts, and the lines around a hit. The
// tenants come from the token (narrowed with ?tenant= to one it may read);
// a hit id of a tenant the token may not read answers 404.
import type { FastifyInstance } from 'fastify';
import { CodedError } from '../../../core/coded-error.ts';
import { type SearchQuery, SearchQuerySchema } from '../../../schemas/collector-api.ts';
import { recordAudit } from '../../access/audit.ts';
import { sitesWithFinding } from '../../analyze/index.ts';
import { collectorErrors } from '../../errors.ts';
import { type FilterField, filterFields, type IndexedEvent, type SearchFilters } from '../../index/types.ts';
import type { CollectorService } from '../../service.ts';
import { principalOf } from '../server.ts';
import { readableTenants } from './bundles.ts';

export async function searchRoutes(app: FastifyInstance, { service }: { service: CollectorService }): Promise<void> {
  const schema = { querystring: SearchQuerySchema };

  app.get('/search', { schema }, async (request) => {
    const principal = principalOf(request);
    const query = request.query as SearchQuery;
    const tenants = readableTenants(principal, query.tenant);
    const result = await service.index.search({
      tenants,
      q: query.q,
      filters: filtersOf(query),
      limit: query.limit,
      order: query.order,
      ...(query.cursor !== undefined && { cursor: query.cursor }),
    });
    if (query.cursor === undefined) {
      for (const tenant of tenants) {
        recordAudit(service.control, {
          actor: principal,
          tenant,
          action: 'search',
          target: query.q,
          detail: { total: result.total },
        });
      }
    }
    return {
      total: result.total,
      hits: result.hits.map((hit) => toHit(hit.id, hit.event, hit.highlight.message)),
      ...(result.next !== undefined && { next: result.next }),
    };
  });

  app.get('/search/histogram', { schema }, async (request) => {
    const query = request.query as SearchQuery;
    const tenants = readableTenants(principalOf(request), query.tenant);
    return service.index.histogram({ tenants, q: query.q, filters: filtersOf(query), buckets: query.buckets });
  });

  app.get('/search/facets', { schema }, async (request) => {
    const query = request.query as SearchQuery;
    const tenants = readableTenants(principalOf(request), query.tenant);
    const fields = (query.fields ?? filterFields.join(','))
      .split(',')
      .map((field) => field.trim())
      .filter((field) => field !== '');
    for (const field of fields) {
      if (!(filterFields as readonly string[]).includes(field)) {
        throw new CodedError(collectorErrors.REQUEST_INVALID, {
          detail: `"${field}" is not a facet field (${filterFields.join(', ')})`,
        });
      }
    }
    return service.index.facets({
      tenants,
      q: query.q,
      filters: filtersOf(query),
      fields: fields as FilterField[],
      size: query.size,
    });
  });

  // Across customers: the sites (of the tenants this token may read) whose bundles show the same finding.
  app.get('/findings/elsewhere', async (request) => {
    const principal = principalOf(request);
    const { key } = request.query as { key?: string };
    if (typeof key !== 'string' || key === '' || key.length > 4096) {
      throw new CodedError(collectorErrors.REQUEST_INVALID, { detail: 'give the finding key as ?key=' });
    }
    const tenants = readableTenants(principal, undefined);
    return { key, sites: sitesWithFinding(service.control, tenants, key) };
  });

  app.get('/events/:id/context', async (request) => {
    const principal = principalOf(request);
    const { id } = request.params as { id: string };
    const query = request.query as { before?: string; after?: string };
    const tenant = id.slice(0, Math.max(0, id.indexOf('.')));
    if (!tenant || !principal.canRead(tenant)) throw new CodedError(collectorErrors.NOT_FOUND, { what: `event ${id}` });
    const count = (value: string | undefined) => Math.min(500, Math.max(0, Number(value ?? 10) || 0));
    const result = await service.index.context({ tenant, id, before: count(query.before), after: count(query.after) });
    if (result.events.length === 0) throw new CodedError(collectorErrors.NOT_FOUND, { what: `event ${id}` });
    return { hits: result.events.map((entry) => toHit(entry.id, entry.event, [])) };
  });
}

function filtersOf(query: SearchQuery): SearchFilters {
  const list = (value: string | undefined) =>
    value === undefined
      ? undefined
      : value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item !== '');
  const filters: Record<string, unknown> = {
    site: list(query.site),
    bundle: list(query.bundle),
    container: list(query.container),
    service: list(query.service),
    stream: list(query.stream),
    level: list(query.level),
    source: list(query.source),
    from: query.from,
    to: query.to,
  };
  for (const key of Object.keys(filters)) if (filters[key] === undefined) delete filters[key];
  return filters as SearchFilters;
}

/**
 * A hit as the API answers it: the event's ECS fields nested, as the agent
 * emits them, and the same leaves flattened with dots (`container.name`), so
 * both `.container.name` and `["container.name"]` read it; plus its id,
 * tenant, bundle and highlight ranges.
 */
export function toHit(id: string, event: IndexedEvent, highlight: readonly (readonly [number, number])[]) {
  const flat: Record<string, unknown> = {};
  flatten(event as unknown as Record<string, unknown>, '', flat);
  return {
    ...flat,
    ...event,
    id,
    tenant: event.shiplog.tenant,
    bundle: event.shiplog.bundle,
    highlight: highlight.map(([start, end]) => [start, end]),
  };
}

function flatten(value: Record<string, unknown>, prefix: string, out: Record<string, unknown>): void {
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (child !== null && typeof child === 'object' && !Array.isArray(child)) {
      // Labels stay one object: their keys hold dots of their own.
      if (path.endsWith('.labels')) out[path] = child;
      else flatten(child as Record<string, unknown>, path, out);
    } else out[path] = child;
  }
}
