// search(): the matches of a query in time order, one page at a time, over
// every visible generation of every tenant asked for.
//
// Per generation, FTS5 gives the matches in rowid order, that is by time
// slot (layout.ts). A page needs the first `limit + 1` matches after the
// cursor: find the slot in which the (limit + 1)-th match falls (one FTS5
// scan that skips ahead), then sort only the matches up to the end of that
// slot by their exact time. Generations are visited in the order of their first
// event and skipped once they cannot reach the page; the pages are merged
// by (time, tenant, generation, sequence). Asking each for one more than
// the page tells exactly whether there is a next page.
import { highlight, type QueryNode } from '../query.ts';
import type { SearchFilters, SearchHit, SearchResult } from '../types.ts';
import {
  type Bounds,
  boundsSql,
  type CursorKey,
  compareCursorKeys,
  cursorBound,
  encodeCursor,
  inside,
  narrow,
  outside,
  timeBounds,
} from './bounds.ts';
import { matchOf, type Plan, planFor } from './compile.ts';
import { eventsTable, ftsTable, MAX_SLOT, SEQ_BITS, SEQ_MASK, slotOf } from './layout.ts';
import { hitId, readEvents } from './rows.ts';
import type { Generation, TenantFile } from './tenant-file.ts';

export interface SearchInput {
  readonly query: QueryNode;
  readonly filters: SearchFilters;
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  readonly cursor: CursorKey | undefined;
  readonly fingerprint: string;
}

interface Candidate extends CursorKey {
  readonly file: TenantFile;
  readonly generation: Generation;
}

/** One generation with its plan, as search, histogram and facets use it. */
export interface Target {
  readonly file: TenantFile;
  readonly generation: Generation;
  readonly plan: Exclude<Plan, { kind: 'none' }>;
}

/** The generations of the files that can hold matches, with their plans (inside the files' read transactions). */
export function targets(
  files: readonly TenantFile[],
  query: QueryNode,
  filters: SearchFilters,
  bounds: Bounds,
): Target[] {
  const out: Target[] = [];
  for (const file of files) {
    for (const generation of file.visible()) {
      if (outside(bounds, generation.minMs, generation.maxMs)) continue;
      const plan = planFor(query, filters, generation, file);
      if (plan.kind !== 'none') out.push({ file, generation, plan });
    }
  }
  return out;
}

/**
 * Matches of a target within bounds. Everything (no query, no filters) in
 * a time range is the stored count per slot, with FTS5 counting only the
 * two edge slots.
 */
export function countMatches(target: Target, bounds: Bounds): number {
  const { file, generation, plan } = target;
  if (plan.kind === 'all') {
    if (inside(bounds, generation.minMs, generation.maxMs) || (!bounds.lower && !bounds.upper))
      return generation.events;
    const first = bounds.lower ? slotOf(bounds.lower.ms) : 0;
    const last = bounds.upper ? slotOf(bounds.upper.ms) : MAX_SLOT;
    if (last - first >= 2) {
      const middle = file
        .prepare(0, 'SELECT coalesce(sum(count), 0) AS n FROM generation_slots WHERE gen = ? AND slot > ? AND slot < ?')
        .get(generation.gen, first, last) as { n: number };
      return (
        middle.n +
        ftsCount(target, bounds, { from: first, to: first }) +
        ftsCount(target, bounds, { from: last, to: last })
      );
    }
  }
  return ftsCount(target, bounds);
}

function ftsCount(target: Target, bounds: Bounds, slots: { from?: number; to?: number } = {}): number {
  const { file, generation, plan } = target;
  const fts = ftsTable(generation.gen);
  const where = boundsSql(bounds, eventsTable(generation.gen), 'exists', slots);
  const row = file
    .prepare(generation.gen, `SELECT count(*) AS n FROM ${fts} f WHERE f.${fts} MATCH :m AND ${where.sql}`)
    .get({ m: matchOf(plan), ...where.params }) as { n: number };
  return row.n;
}

export function searchFiles(files: readonly TenantFile[], input: SearchInput): SearchResult {
  const base = timeBounds(input.filters);
  const asc = input.order === 'asc';
  const wanted = input.limit + 1;
  let total = 0;
  const work: { target: Target; bounds: Bounds }[] = [];
  for (const target of targets(files, input.query, input.filters, base)) {
    total += countMatches(target, base);
    let bounds = base;
    if (input.cursor) {
      bounds = narrow(
        bounds,
        asc ? 'lower' : 'upper',
        cursorBound(input.cursor, target.file.tenant, target.generation.gen),
      );
      if (outside(bounds, target.generation.minMs, target.generation.maxMs)) continue;
    }
    work.push({ target, bounds });
  }
  // Visit the generations that start earliest (latest, for desc) first.
  work.sort((a, b) =>
    asc
      ? (a.target.generation.minMs ?? 0) - (b.target.generation.minMs ?? 0)
      : (b.target.generation.maxMs ?? 0) - (a.target.generation.maxMs ?? 0),
  );
  const order = (a: CursorKey, b: CursorKey) => (asc ? compareCursorKeys(a, b) : compareCursorKeys(b, a));
  let candidates: Candidate[] = [];
  for (const { target, bounds } of work) {
    const last = candidates[wanted - 1];
    if (last) {
      // Every event of this generation (and the ones after it) comes after the page.
      if (asc && (target.generation.minMs ?? 0) > last.ms) break;
      if (!asc && (target.generation.maxMs ?? 0) < last.ms) break;
    }
    candidates.push(...pageOf(target, bounds, wanted, asc));
    candidates.sort(order);
    if (candidates.length > wanted) candidates = candidates.slice(0, wanted);
  }
  const page = candidates.slice(0, input.limit);
  const hits = hitsOf(page, input.query);
  const lastHit = page[page.length - 1];
  return {
    total,
    hits,
    ...(candidates.length > input.limit && lastHit ? { next: encodeCursor(lastHit, input.fingerprint) } : {}),
  };
}

/** The first `wanted` matches of one generation within bounds, in order. */
function pageOf(target: Target, bounds: Bounds, wanted: number, asc: boolean): Candidate[] {
  const { file, generation, plan } = target;
  const fts = ftsTable(generation.gen);
  const events = eventsTable(generation.gen);
  const dir = asc ? 'ASC' : 'DESC';
  const match = matchOf(plan);
  const scan = boundsSql(bounds, events, 'exists');
  const edge = file
    .prepare(
      generation.gen,
      `SELECT f.rowid >> ${SEQ_BITS} AS slot FROM ${fts} f WHERE f.${fts} MATCH :m AND ${scan.sql}
        ORDER BY f.rowid ${dir} LIMIT 1 OFFSET :skip`,
    )
    .get({ m: match, skip: wanted - 1, ...scan.params }) as { slot: number } | undefined;
  const sorted = boundsSql(bounds, events, 'join', edge ? (asc ? { to: edge.slot } : { from: edge.slot }) : {});
  const rows = file
    .prepare(
      generation.gen,
      `SELECT e.id AS seq, e.ms AS ms, e.ns AS ns FROM ${fts} f JOIN ${events} e ON e.id = (f.rowid & ${SEQ_MASK})
        WHERE f.${fts} MATCH :m AND ${sorted.sql}
        ORDER BY e.ms ${dir}, e.ns ${dir}, e.id ${dir} LIMIT :n`,
    )
    .all({ m: match, n: wanted, ...sorted.params }) as { seq: number; ms: number; ns: number }[];
  return rows.map((row) => ({ ...row, tenant: file.tenant, gen: generation.gen, file, generation }));
}

function hitsOf(page: readonly Candidate[], query: QueryNode): SearchHit[] {
  const byGeneration = new Map<string, Candidate[]>();
  for (const hit of page) {
    const key = `${hit.tenant}.${hit.gen}`;
    const list = byGeneration.get(key);
    if (list) list.push(hit);
    else byGeneration.set(key, [hit]);
  }
  const events = new Map<string, ReturnType<typeof readEvents>>();
  for (const [key, list] of byGeneration) {
    const first = list[0] as Candidate;
    events.set(
      key,
      readEvents(
        first.file,
        first.generation,
        list.map((hit) => hit.seq),
      ),
    );
  }
  return page.map((hit) => {
    const event = events.get(`${hit.tenant}.${hit.gen}`)?.get(hit.seq);
    if (!event) throw new Error(`event ${hitId(hit.tenant, hit.gen, hit.seq)} vanished while it was read`);
    return { id: hitId(hit.tenant, hit.gen, hit.seq), event, highlight: { message: highlight(query, event.message) } };
  });
}
