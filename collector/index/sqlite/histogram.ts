// histogram(): matches per time bucket. The bucket width is the round
// interval that cuts the span from the first match to the last into about
// the asked number of buckets (at most that many, plus one for alignment);
// buckets are aligned to multiples of the width since 1970 (UTC midnight for
// days), and empty ones between the first and last are included.
//
// With a width that is a whole number of time slots (10 s, layout.ts), a
// bucket is a range of FTS5 rowids, and a generation with many matches is
// counted one bucket at a time (FTS5 counts a rowid range without reading
// any row, and without the sort a GROUP BY over every match would need).
// Few matches, finer widths (a span under about ten minutes) and the
// clamped edge slots are grouped by the events' exact times instead.
import type { QueryNode } from '../query.ts';
import type { HistogramResult, SearchFilters } from '../types.ts';
import { type Bounds, boundsSql, narrow, timeBounds } from './bounds.ts';
import { matchOf } from './compile.ts';
import { eventsTable, ftsTable, MAX_SLOT, SEQ_BITS, SEQ_MASK, SLOT_MS } from './layout.ts';
import { countMatches, type Target, targets } from './search.ts';
import type { TenantFile } from './tenant-file.ts';

/** Up to this many matches in a generation are grouped in one pass over them. */
const GROUP_ROWS_LIMIT = 20_000;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The round bucket widths, in milliseconds. */
export const INTERVALS: readonly number[] = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  SECOND,
  5 * SECOND,
  10 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  7 * DAY,
  30 * DAY,
  90 * DAY,
  365 * DAY,
];

/** The smallest round width that cuts `spanMs` into at most `buckets` buckets. */
export function chooseInterval(spanMs: number, buckets: number): number {
  const wanted = spanMs / buckets;
  for (const interval of INTERVALS) if (interval >= wanted) return interval;
  const year = INTERVALS[INTERVALS.length - 1] as number;
  return Math.ceil(wanted / year) * year;
}

export function histogramOf(
  files: readonly TenantFile[],
  query: QueryNode,
  filters: SearchFilters,
  buckets: number,
): HistogramResult {
  const bounds = timeBounds(filters);
  const live: Target[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const target of targets(files, query, filters, bounds)) {
    const earliest = edgeMs(target, bounds, 'min');
    if (earliest === undefined) continue;
    live.push(target);
    first = Math.min(first, earliest);
    last = Math.max(last, edgeMs(target, bounds, 'max') as number);
  }
  if (live.length === 0) return { interval_ms: chooseInterval(0, buckets), buckets: [] };
  const interval = chooseInterval(last - first, buckets);
  const origin = Math.floor(first / interval) * interval;
  const counts = new Map<number, number>();
  const add = (b: number, n: number) => counts.set(b, (counts.get(b) ?? 0) + n);
  for (const target of live) {
    const { minMs, maxMs } = target.generation;
    if (
      interval % SLOT_MS === 0 &&
      countMatches(target, bounds) > GROUP_ROWS_LIMIT &&
      minMs !== null &&
      maxMs !== null
    ) {
      const firstBucket = Math.max(0, Math.floor((minMs - origin) / interval));
      const lastBucket = Math.floor((Math.min(maxMs, last) - origin) / interval);
      for (let b = firstBucket; b <= lastBucket; b++) {
        const start = origin + b * interval;
        let range = narrow(bounds, 'lower', { ms: start, ns: 0, seq: 0 });
        range = narrow(range, 'upper', { ms: start + interval, ns: 0, seq: 0 });
        add(b, countMatches(target, range));
      }
    } else {
      for (const { b, n } of groupedCounts(target, bounds, origin, interval)) add(b, n);
    }
  }
  const lastBucket = Math.floor((last - origin) / interval);
  return {
    interval_ms: interval,
    buckets: Array.from({ length: lastBucket + 1 }, (_, b) => ({
      start: new Date(origin + b * interval).toISOString(),
      count: counts.get(b) ?? 0,
    })),
  };
}

/** The exact earliest or latest time of the target's matches: find its slot, then look within it. */
function edgeMs(target: Target, bounds: Bounds, which: 'min' | 'max'): number | undefined {
  const { file, generation, plan } = target;
  const fts = ftsTable(generation.gen);
  const events = eventsTable(generation.gen);
  const match = matchOf(plan);
  const scan = boundsSql(bounds, events, 'exists');
  const edge = file
    .prepare(
      generation.gen,
      `SELECT f.rowid >> ${SEQ_BITS} AS slot FROM ${fts} f WHERE f.${fts} MATCH :m AND ${scan.sql}
        ORDER BY f.rowid ${which === 'min' ? 'ASC' : 'DESC'} LIMIT 1`,
    )
    .get({ m: match, ...scan.params }) as { slot: number } | undefined;
  if (!edge) return undefined;
  const within = boundsSql(bounds, events, 'join', { from: edge.slot, to: edge.slot });
  const row = file
    .prepare(
      generation.gen,
      `SELECT ${which}(e.ms) AS ms FROM ${fts} f JOIN ${events} e ON e.id = (f.rowid & ${SEQ_MASK})
        WHERE f.${fts} MATCH :m AND ${within.sql}`,
    )
    .get({ m: match, ...within.params }) as { ms: number | null };
  return row.ms ?? undefined;
}

function groupedCounts(target: Target, bounds: Bounds, origin: number, interval: number): { b: number; n: number }[] {
  const { file, generation, plan } = target;
  const fts = ftsTable(generation.gen);
  const events = eventsTable(generation.gen);
  const scan = boundsSql(bounds, events, 'exists');
  // A slot's first millisecond lands in the same bucket as the rest of it when the width is whole slots.
  // (Numbers bind as REAL in node:sqlite, hence the CAST: t - origin is never negative, so it floors.)
  const exact = interval % SLOT_MS !== 0 ? 1 : 0;
  return file
    .prepare(
      generation.gen,
      `SELECT CAST((t - :origin) / :interval AS INTEGER) AS b, count(*) AS n FROM (
         SELECT CASE WHEN :exact OR (f.rowid >> ${SEQ_BITS}) IN (0, ${MAX_SLOT})
                     THEN (SELECT x.ms FROM ${events} x WHERE x.id = (f.rowid & ${SEQ_MASK}))
                     ELSE (f.rowid >> ${SEQ_BITS}) * ${SLOT_MS} END AS t
           FROM ${fts} f WHERE f.${fts} MATCH :m AND ${scan.sql}
       ) GROUP BY b`,
    )
    .all({ m: matchOf(plan), origin, interval, exact, ...scan.params }) as { b: number; n: number }[];
}
