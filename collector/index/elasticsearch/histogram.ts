// histogram(): matches per time bucket, with the SQLite backend's rule for
// the width (the round interval that cuts the span from the first match to
// the last into at most the asked number of buckets, sqlite/histogram.ts),
// buckets aligned to multiples of the width since 1970, and the empty ones
// between the first and the last included. Two requests: the first and
// last match (min/max), then a date_histogram with that fixed interval
// (whose buckets the cluster aligns to the epoch, and fills between the
// first and last non-empty one with min_doc_count 0).
import type { QueryNode } from '../query.ts';
import { chooseInterval } from '../sqlite/histogram.ts';
import type { HistogramResult, SearchFilters } from '../types.ts';
import type { Cluster } from './cluster.ts';
import { requestQuery, type Target, type TimeRange } from './compile.ts';
import { TIME_FIELD } from './mapping.ts';
import { indicesPath, READ_OPTIONS } from './search.ts';

interface SpanAnswer {
  aggregations?: { first?: { value?: number | null }; last?: { value?: number | null } };
}

interface BucketsAnswer {
  aggregations?: { buckets?: { buckets?: { key: number; doc_count: number }[] } };
}

export async function histogramOf(
  cluster: Cluster,
  targets: readonly Target[],
  query: QueryNode,
  filters: SearchFilters,
  time: TimeRange,
  buckets: number,
): Promise<HistogramResult> {
  const empty = { interval_ms: chooseInterval(0, buckets), buckets: [] };
  if (targets.length === 0) return empty;
  const path = `/${indicesPath(targets)}/_search`;
  const where = requestQuery(query, filters, time, targets);
  const span = await cluster.request<SpanAnswer>('POST', path, {
    body: {
      query: where,
      size: 0,
      track_total_hits: false,
      aggs: { first: { min: { field: TIME_FIELD } }, last: { max: { field: TIME_FIELD } } },
    },
    query: { ...READ_OPTIONS, filter_path: 'aggregations' },
  });
  const firstValue = span.aggregations?.first?.value;
  const lastValue = span.aggregations?.last?.value;
  if (typeof firstValue !== 'number' || typeof lastValue !== 'number') return empty;
  // The cluster reports date_nanos extremes in fractional milliseconds; SQLite counts in whole ones.
  const first = Math.floor(firstValue);
  const last = Math.floor(lastValue);
  const interval = chooseInterval(last - first, buckets);
  const answer = await cluster.request<BucketsAnswer>('POST', path, {
    body: {
      query: where,
      size: 0,
      track_total_hits: false,
      aggs: { buckets: { date_histogram: { field: TIME_FIELD, fixed_interval: `${interval}ms`, min_doc_count: 0 } } },
    },
    query: { ...READ_OPTIONS, filter_path: 'aggregations.buckets.buckets.key,aggregations.buckets.buckets.doc_count' },
  });
  const counts = new Map<number, number>();
  for (const bucket of answer.aggregations?.buckets?.buckets ?? []) counts.set(bucket.key, bucket.doc_count);
  const origin = Math.floor(first / interval) * interval;
  const lastBucket = Math.floor((last - origin) / interval);
  return {
    interval_ms: interval,
    buckets: Array.from({ length: lastBucket + 1 }, (_, b) => ({
      start: new Date(origin + b * interval).toISOString(),
      count: counts.get(origin + b * interval) ?? 0,
    })),
  };
}
