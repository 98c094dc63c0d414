// search(): one page of matches in time order, over the visible generations
// of every tenant asked for, in one request to their indices. The order is
// (time to the nanosecond, tenant, order key), as SQLite's is (time,
// tenant, generation, sequence); the page asks for one hit more than it
// returns, which says exactly whether there is a next page, and the total
// is counted exactly.
import { highlight, type QueryNode } from '../query.ts';
import type { SearchFilters, SearchHit, SearchResult } from '../types.ts';
import type { Cluster } from './cluster.ts';
import { requestQuery, type Target, type TimeRange } from './compile.ts';
import { encodeCursor, type SortValues, sortValuesOf } from './cursor.ts';
import { eventOf } from './documents.ts';
import { ORDER_FIELD, TENANT_FIELD, TIME_FIELD } from './mapping.ts';
import { hitId, parseDocumentId, tenantOfIndex } from './naming.ts';

export interface SearchInput {
  readonly query: QueryNode;
  readonly filters: SearchFilters;
  readonly time: TimeRange;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  readonly after: SortValues | undefined;
  /** The fingerprint cursors of this search carry. */
  readonly print: string;
}

export interface RawHit {
  readonly _index: string;
  readonly _id: string;
  readonly _source: Record<string, unknown>;
  readonly sort?: unknown[];
}

export function sortFor(order: 'asc' | 'desc'): Record<string, unknown>[] {
  return [
    { [TIME_FIELD]: { order, format: 'strict_date_optional_time_nanos' } },
    { [TENANT_FIELD]: { order } },
    { [ORDER_FIELD]: { order } },
  ];
}

/** The indices of the targets as one path segment. */
export function indicesPath(targets: readonly Target[]): string {
  return targets.map((target) => target.index).join(',');
}

export const READ_OPTIONS = { ignore_unavailable: true, allow_no_indices: true } as const;

export async function searchTargets(
  cluster: Cluster,
  prefix: string,
  targets: readonly Target[],
  input: SearchInput,
): Promise<SearchResult> {
  if (targets.length === 0) return { total: 0, hits: [] };
  const answer = await cluster.request<{ hits?: { total?: { value?: number }; hits?: RawHit[] } }>(
    'POST',
    `/${indicesPath(targets)}/_search`,
    {
      body: {
        query: requestQuery(input.query, input.filters, input.time, targets),
        sort: sortFor(input.order),
        size: input.limit + 1,
        track_total_hits: true,
        ...(input.after && { search_after: [...input.after] }),
      },
      query: {
        ...READ_OPTIONS,
        filter_path: 'hits.total.value,hits.hits._index,hits.hits._id,hits.hits._source,hits.hits.sort',
      },
    },
  );
  const raw = answer.hits?.hits ?? [];
  const page = raw.slice(0, input.limit);
  const hits = page.map((hit) => toHit(prefix, hit, input.query));
  const last = page[page.length - 1];
  return {
    total: answer.hits?.total?.value ?? 0,
    hits,
    ...(raw.length > input.limit && last ? { next: encodeCursor(sortValuesOf(last.sort), input.print) } : {}),
  };
}

/** A raw hit as the interface's hit: id naming its tenant, the event as added, and the highlight. */
export function toHit(prefix: string, hit: RawHit, query: QueryNode | undefined): SearchHit {
  const event = eventOf(hit._source);
  return {
    id: idOf(prefix, hit),
    event,
    highlight: { message: query ? highlight(query, event.message) : [] },
  };
}

export function idOf(prefix: string, hit: Pick<RawHit, '_index' | '_id'>): string {
  const tenant = tenantOfIndex(prefix, hit._index);
  const position = parseDocumentId(hit._id);
  if (!tenant || !position)
    throw new Error(`the cluster returned document ${hit._index}/${hit._id}, which is no event`);
  return hitId(tenant, position.gen, position.seq);
}
