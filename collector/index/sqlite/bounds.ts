// Where in time a request starts and stops, per generation, and the SQL
// that applies it to FTS5 rowids: whole time slots as a rowid range (which
// FTS5 seeks to), and the exact comparison (millisecond, nanosecond,
// sequence) only for the events in the two edge slots.
//
// Results are ordered by (time, tenant, generation, sequence): the cursor
// is the last hit's key. Within a generation that becomes a bound on
// (ms, ns, seq): for a generation that sorts after the cursor's, events at
// the cursor's exact time still come (seq > 0); for one before it, they
// already came (seq > MAX).
import { createHash } from 'node:crypto';
import { QueryError, type SearchFilters } from '../types.ts';
import { firstRowid, isTenantName, lastRowid, MAX_SEQ, MAX_SLOT, SEQ_MASK, SLOT_MS, slotOf } from './layout.ts';
import { parseTimestamp } from './timestamps.ts';

/** A position in one generation's order: (ms, ns, seq). */
export interface Key {
  readonly ms: number;
  readonly ns: number;
  readonly seq: number;
}

/** Exclusive bounds: events strictly after `lower` and strictly before `upper`. */
export interface Bounds {
  readonly lower?: Key;
  readonly upper?: Key;
}

/** The last hit of a page, in the global order. */
export interface CursorKey {
  readonly ms: number;
  readonly ns: number;
  readonly tenant: string;
  readonly gen: number;
  readonly seq: number;
}

/** The from/to filters as bounds; QueryError when they are not RFC 3339. */
export function timeBounds(filters: SearchFilters): Bounds {
  const parse = (name: 'from' | 'to') => {
    const text = filters[name];
    if (text === undefined) return undefined;
    const time = typeof text === 'string' ? parseTimestamp(text) : undefined;
    if (!time) throw new QueryError(`filters.${name} ${JSON.stringify(text)} is not an RFC 3339 time`, 0);
    return time;
  };
  const from = parse('from');
  const to = parse('to');
  return {
    // Inclusive from: strictly after (from, seq 0). Exclusive to: strictly before (to, seq 0).
    ...(from ? { lower: { ms: from.ms, ns: from.ns, seq: 0 } } : {}),
    ...(to ? { upper: { ms: to.ms, ns: to.ns, seq: 0 } } : {}),
  };
}

export function compareKeys(a: Key, b: Key): number {
  return a.ms - b.ms || a.ns - b.ns || a.seq - b.seq;
}

/** Total order of hits across tenants and generations. */
export function compareCursorKeys(a: CursorKey, b: CursorKey): number {
  return (
    a.ms - b.ms ||
    a.ns - b.ns ||
    (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0) ||
    a.gen - b.gen ||
    a.seq - b.seq
  );
}

/** The cursor as a bound inside one generation (see the file header). */
export function cursorBound(cursor: CursorKey, tenant: string, gen: number): Key {
  const order = tenant < cursor.tenant ? -1 : tenant > cursor.tenant ? 1 : gen - cursor.gen;
  const seq = order === 0 ? cursor.seq : order < 0 ? MAX_SEQ + 1 : 0;
  return { ms: cursor.ms, ns: cursor.ns, seq };
}

/** Narrows bounds with a further lower (asc) or upper (desc) bound. */
export function narrow(bounds: Bounds, side: 'lower' | 'upper', key: Key): Bounds {
  const current = bounds[side];
  if (!current) return { ...bounds, [side]: key };
  const tighter = side === 'lower' ? compareKeys(key, current) > 0 : compareKeys(key, current) < 0;
  return tighter ? { ...bounds, [side]: key } : bounds;
}

/** True when no event between minMs and maxMs can fall inside the bounds. */
export function outside(bounds: Bounds, minMs: number | null, maxMs: number | null): boolean {
  if (minMs === null || maxMs === null) return true;
  if (bounds.lower && maxMs < bounds.lower.ms) return true;
  if (bounds.upper && minMs > bounds.upper.ms) return true;
  if (bounds.lower && bounds.upper && compareKeys(bounds.lower, bounds.upper) >= 0) return true;
  return false;
}

/** True when every event between minMs and maxMs is inside the bounds (so counts need no query). */
export function inside(bounds: Bounds, minMs: number | null, maxMs: number | null): boolean {
  if (minMs === null || maxMs === null) return false;
  if (bounds.lower && !(minMs > bounds.lower.ms)) return false;
  if (bounds.upper && !(maxMs < bounds.upper.ms)) return false;
  return true;
}

/**
 * SQL conditions on `f.rowid` (the FTS5 table aliased f) for the bounds,
 * with their named parameters. The exact edge comparison reads the events
 * row: through `exact` ('exists': a lookup by sequence; 'join': the joined
 * events table aliased e). `slots` further limits the slots to read.
 */
export function boundsSql(
  bounds: Bounds,
  events: string,
  exact: 'exists' | 'join',
  slots: { readonly from?: number; readonly to?: number } = {},
): { sql: string; params: Record<string, bigint | number> } {
  const lower = bounds.lower;
  const upper = bounds.upper;
  // A bound on a slot's first instant needs no per-row check: the whole slot is in (lower) or out (upper).
  const lowerAligned = lower !== undefined && startsSlot(lower);
  const upperAligned = upper !== undefined && startsSlot(upper);
  let loSlot = lower ? slotOf(lower.ms) : 0;
  let hiSlot = upper ? (upperAligned ? slotOf(upper.ms) - 1 : slotOf(upper.ms)) : MAX_SLOT;
  if (slots.from !== undefined) loSlot = Math.max(loSlot, slots.from);
  if (slots.to !== undefined) hiSlot = Math.min(hiSlot, slots.to);
  if (hiSlot < loSlot) return { sql: '0', params: {} };
  const params: Record<string, bigint | number> = { lo: firstRowid(loSlot), hi: lastRowid(hiSlot) };
  const conditions = ['f.rowid BETWEEN :lo AND :hi'];
  const row = (test: string) =>
    exact === 'join'
      ? `(e.ms, e.ns, e.id) ${test}`
      : `EXISTS (SELECT 1 FROM ${events} x WHERE x.id = (f.rowid & ${SEQ_MASK}) AND (x.ms, x.ns, x.id) ${test})`;
  if (lower && !lowerAligned) {
    conditions.push(`(f.rowid > :loEdge OR ${row('> (:lms, :lns, :lseq)')})`);
    params.loEdge = lastRowid(slotOf(lower.ms));
    params.lms = lower.ms;
    params.lns = lower.ns;
    params.lseq = lower.seq;
  }
  if (upper && !upperAligned) {
    conditions.push(`(f.rowid < :hiEdge OR ${row('< (:ums, :uns, :useq)')})`);
    params.hiEdge = firstRowid(slotOf(upper.ms));
    params.ums = upper.ms;
    params.uns = upper.ns;
    params.useq = upper.seq;
  }
  return { sql: conditions.join(' AND '), params };
}

/**
 * True when the key is the very start of a slot that holds only its own
 * times (not a clamped edge slot): every event of that slot is at or after
 * the key.
 */
function startsSlot(key: Key): boolean {
  const slot = slotOf(key.ms);
  return key.ns === 0 && key.seq === 0 && slot > 0 && slot < MAX_SLOT && slot * SLOT_MS === key.ms;
}

const CURSOR_VERSION = 1;

/** A fingerprint of what a cursor pages through, so a cursor is only good for its own query. */
export function queryFingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(key: CursorKey, fingerprint: string): string {
  return Buffer.from(
    JSON.stringify({ v: CURSOR_VERSION, f: fingerprint, k: [key.ms, key.ns, key.tenant, key.gen, key.seq] }),
  ).toString('base64url');
}

/** The cursor's key; QueryError when it is not one this index made for this query. */
export function decodeCursor(cursor: string, fingerprint: string): CursorKey {
  const invalid = (why: string) =>
    new QueryError(`the cursor is not valid (${why}); start again from the first page`, 0);
  if (typeof cursor !== 'string' || cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid('not a cursor of this index');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor of this index');
  }
  const body = parsed as { v?: unknown; f?: unknown; k?: unknown };
  if (typeof body !== 'object' || body === null || body.v !== CURSOR_VERSION || !Array.isArray(body.k)) {
    throw invalid('not a cursor of this index');
  }
  if (body.f !== fingerprint) throw invalid('it belongs to a different query, filter, tenant list or order');
  const [ms, ns, tenant, gen, seq] = body.k as unknown[];
  if (
    body.k.length !== 5 ||
    !Number.isSafeInteger(ms) ||
    !Number.isInteger(ns) ||
    (ns as number) < 0 ||
    (ns as number) > 999_999 ||
    !isTenantName(tenant) ||
    !Number.isSafeInteger(gen) ||
    (gen as number) < 1 ||
    !Number.isInteger(seq) ||
    (seq as number) < 1 ||
    (seq as number) > MAX_SEQ
  ) {
    throw invalid('its position is malformed');
  }
  return { ms: ms as number, ns: ns as number, tenant, gen: gen as number, seq: seq as number };
}
