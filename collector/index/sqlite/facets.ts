// facets(): for each asked field, its most frequent values among the
// matches. A generation that matches whole answers from the counts its
// writer stored; a small match set is grouped through its rows; a large one
// is counted in FTS5 once per value (the query AND the value's terms), so
// the cost follows the number of values, not the number of matches.
import type { QueryNode } from '../query.ts';
import type { FacetResult, FilterField, SearchFilters } from '../types.ts';
import { type Bounds, boundsSql, inside, timeBounds } from './bounds.ts';
import { matchOf } from './compile.ts';
import { eventsTable, ftsTable, SEQ_MASK } from './layout.ts';
import { countMatches, type Target, targets } from './search.ts';
import type { TenantFile } from './tenant-file.ts';

/** Up to this many matches in a generation are grouped by reading their rows. */
const GROUP_ROWS_LIMIT = 20_000;

type OriginField = 'site' | 'container' | 'service' | 'source' | 'file';
const originFields: readonly OriginField[] = ['site', 'container', 'service', 'source', 'file'];

export function facetsOf(
  files: readonly TenantFile[],
  query: QueryNode,
  filters: SearchFilters,
  fields: readonly FilterField[],
  size: number,
): FacetResult {
  const bounds = timeBounds(filters);
  const tallies = new Map<FilterField, Map<string, number>>(fields.map((field) => [field, new Map()]));
  const add = (field: FilterField, value: string | undefined, n: number) => {
    const tally = tallies.get(field);
    if (!tally || value === undefined || n === 0) return;
    tally.set(value, (tally.get(value) ?? 0) + n);
  };
  for (const target of targets(files, query, filters, bounds)) {
    const { file, generation, plan } = target;
    const whole =
      plan.kind === 'all' && (inside(bounds, generation.minMs, generation.maxMs) || (!bounds.lower && !bounds.upper));
    const matches = whole ? generation.events : countMatches(target, bounds);
    if (matches === 0) continue;
    add('bundle', generation.bundle, matches);
    const byOrigin = new Map<number, number>();
    const byLevel = new Map<number, number>();
    const byStream = new Map<number, number>();
    if (whole) {
      copy(generation.origins, byOrigin);
      copy(generation.levels, byLevel);
      copy(generation.streams, byStream);
    } else if (matches <= GROUP_ROWS_LIMIT) {
      groupRows(target, bounds, byOrigin, byLevel, byStream);
    } else {
      countPerValue(target, bounds, fields, matches, byOrigin, byLevel, byStream);
    }
    for (const [origin, n] of byOrigin) {
      const ids = file.origin(origin);
      for (const field of originFields) add(field, file.value(ids[field]), n);
    }
    for (const [id, n] of byLevel) add('level', file.value(id), n);
    for (const [id, n] of byStream) add('stream', file.value(id), n);
  }
  const result: Record<string, { value: string; count: number }[]> = {};
  for (const [field, tally] of tallies) {
    result[field] = [...tally]
      .map(([value, count]) => ({ value, count }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, size);
  }
  return result;
}

function copy(from: ReadonlyMap<number, number>, to: Map<number, number>): void {
  for (const [id, n] of from) to.set(id, n);
}

function groupRows(
  target: Target,
  bounds: Bounds,
  byOrigin: Map<number, number>,
  byLevel: Map<number, number>,
  byStream: Map<number, number>,
): void {
  const { file, generation, plan } = target;
  const fts = ftsTable(generation.gen);
  const events = eventsTable(generation.gen);
  const where = boundsSql(bounds, events, 'join');
  const rows = file
    .prepare(
      generation.gen,
      `SELECT e.origin AS origin, e.level AS level, e.stream AS stream, count(*) AS n
         FROM ${fts} f JOIN ${events} e ON e.id = (f.rowid & ${SEQ_MASK})
        WHERE f.${fts} MATCH :m AND ${where.sql} GROUP BY 1, 2, 3`,
    )
    .all({ m: matchOf(plan), ...where.params }) as { origin: number; level: number; stream: number; n: number }[];
  for (const row of rows) {
    byOrigin.set(row.origin, (byOrigin.get(row.origin) ?? 0) + row.n);
    byLevel.set(row.level, (byLevel.get(row.level) ?? 0) + row.n);
    byStream.set(row.stream, (byStream.get(row.stream) ?? 0) + row.n);
  }
}

/** Counts in FTS5: per group of origins sharing a value of an asked field, and per level and stream term. */
function countPerValue(
  target: Target,
  bounds: Bounds,
  fields: readonly FilterField[],
  matches: number,
  byOrigin: Map<number, number>,
  byLevel: Map<number, number>,
  byStream: Map<number, number>,
): void {
  const { file, generation, plan } = target;
  const fts = ftsTable(generation.gen);
  const where = boundsSql(bounds, eventsTable(generation.gen), 'exists');
  const statement = file.prepare(
    generation.gen,
    `SELECT count(*) AS n FROM ${fts} f WHERE f.${fts} MATCH :m AND ${where.sql}`,
  );
  const base = matchOf(plan);
  const count = (terms: string) =>
    (statement.get({ m: `(${base}) AND (meta : (${terms}))`, ...where.params }) as { n: number }).n;
  /**
   * Counts each present value's events among the matches; the most frequent
   * value in the generation is not counted but derived (matches minus the
   * others) when every event has exactly one value, which skips the
   * longest list of rows.
   */
  const perValue = (present: ReadonlyMap<number, number>, prefix: string, into: Map<number, number>) => {
    const ids = [...present.keys()]
      .filter((id) => id !== 0)
      .sort((a, b) => (present.get(b) ?? 0) - (present.get(a) ?? 0));
    const derive = !present.has(0) && ids.length > 0;
    let counted = 0;
    for (const id of derive ? ids.slice(1) : ids) {
      const n = count(`${prefix}${id}`);
      into.set(id, n);
      counted += n;
    }
    if (derive) into.set(ids[0] as number, matches - counted);
  };
  const origins = [...generation.origins.keys()];
  // Origins are counted one by one only when an asked field takes more than one value among them.
  const originAsked = fields.filter((field): field is OriginField =>
    (originFields as readonly string[]).includes(field),
  );
  if (originAsked.length > 0) {
    const split = originAsked.some((field) => new Set(origins.map((origin) => file.origin(origin)[field])).size > 1);
    if (split) perValue(generation.origins, 'xo', byOrigin);
    else byOrigin.set(origins[0] as number, matches);
  }
  if (fields.includes('level')) perValue(generation.levels, 'xl', byLevel);
  if (fields.includes('stream')) perValue(generation.streams, 'xt', byStream);
}
