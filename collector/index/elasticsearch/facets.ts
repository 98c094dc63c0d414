// facets(): for each asked field, its most frequent values among the
// matches, counted exactly. A terms aggregation is exact only on one shard,
// and several tenants are several indices; a composite aggregation pages
// through every value with its exact count wherever the values are, so the
// values are gathered that way (there are few: sites, containers, files,
// levels) and ranked here with the SQLite backend's order: count, then value.
import type { QueryNode } from '../query.ts';
import type { FacetResult, FilterField, SearchFilters } from '../types.ts';
import type { Cluster } from './cluster.ts';
import { requestQuery, type Target, type TimeRange } from './compile.ts';
import { fieldPaths } from './mapping.ts';
import { indicesPath, READ_OPTIONS } from './search.ts';

const PAGE = 1000;

interface CompositeAnswer {
  aggregations?: Record<
    string,
    { after_key?: Record<string, unknown>; buckets?: { key: Record<string, unknown>; doc_count: number }[] }
  >;
}

export async function facetsOf(
  cluster: Cluster,
  targets: readonly Target[],
  query: QueryNode,
  filters: SearchFilters,
  time: TimeRange,
  fields: readonly FilterField[],
  size: number,
): Promise<FacetResult> {
  const tallies = new Map<FilterField, Map<string, number>>(fields.map((field) => [field, new Map()]));
  if (targets.length > 0 && fields.length > 0) {
    const where = requestQuery(query, filters, time, targets);
    let open = new Map<FilterField, Record<string, unknown> | undefined>(fields.map((field) => [field, undefined]));
    while (open.size > 0) {
      const aggs: Record<string, unknown> = {};
      for (const [field, after] of open) {
        aggs[field] = {
          composite: { size: PAGE, sources: [{ v: { terms: { field: fieldPaths[field] } } }], ...(after && { after }) },
        };
      }
      const answer = await cluster.request<CompositeAnswer>('POST', `/${indicesPath(targets)}/_search`, {
        body: { query: where, size: 0, track_total_hits: false, aggs },
        query: { ...READ_OPTIONS, filter_path: 'aggregations.*.after_key,aggregations.*.buckets' },
      });
      const next = new Map<FilterField, Record<string, unknown> | undefined>();
      for (const field of open.keys()) {
        const result = answer.aggregations?.[field];
        const tally = tallies.get(field) as Map<string, number>;
        const buckets = result?.buckets ?? [];
        for (const bucket of buckets) {
          const value = bucket.key.v;
          if (typeof value === 'string' && bucket.doc_count > 0)
            tally.set(value, (tally.get(value) ?? 0) + bucket.doc_count);
        }
        if (buckets.length === PAGE && result?.after_key) next.set(field, result.after_key);
      }
      open = next;
    }
  }
  const out: Record<string, { value: string; count: number }[]> = {};
  for (const [field, tally] of tallies) {
    out[field] = [...tally]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, size);
  }
  return out;
}
