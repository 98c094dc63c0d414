// The search cursor: the sort values of a page's last hit (time as the
// cluster formats it, tenant, order key), handed back as search_after.
// Opaque to clients, and bound to its query by a fingerprint of the query,
// filters, tenants and order, so a cursor is good only for the search that
// made it; anything else is a QueryError. A cursor is only ever a
// position: the indices searched come from the request, never from it.
import { createHash } from 'node:crypto';
import { isTenantName } from '../../access/tenant-name.ts';
import { QueryError } from '../types.ts';

const VERSION = 1;
/** How the cluster formats a date_nanos sort value (strict_date_optional_time_nanos, UTC). */
const SORT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export type SortValues = readonly [time: string, tenant: string, order: number];

export function fingerprint(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

export function encodeCursor(values: SortValues, print: string): string {
  return Buffer.from(JSON.stringify({ v: VERSION, f: print, k: values })).toString('base64url');
}

/** The position a cursor names; QueryError when it is not one this backend made for this search. */
export function decodeCursor(cursor: unknown, print: string): SortValues {
  const invalid = (why: string) =>
    new QueryError(`the cursor is not valid (${why}); start again from the first page`, 0);
  if (typeof cursor !== 'string' || cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid('not a cursor of this index');
  }
  let body: { v?: unknown; f?: unknown; k?: unknown };
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor of this index');
  }
  if (typeof body !== 'object' || body === null || body.v !== VERSION || !Array.isArray(body.k)) {
    throw invalid('not a cursor of this index');
  }
  if (body.f !== print) throw invalid('it belongs to a different query, filter, tenant list or order');
  const [time, tenant, order] = body.k as unknown[];
  if (
    body.k.length !== 3 ||
    typeof time !== 'string' ||
    !SORT_TIME.test(time) ||
    !isTenantName(tenant) ||
    !Number.isSafeInteger(order) ||
    (order as number) < 1
  ) {
    throw invalid('its position is malformed');
  }
  return [time, tenant, order as number];
}

/** The sort values of a hit as the cluster returned them, checked. */
export function sortValuesOf(sort: unknown): SortValues {
  const [time, tenant, order] = Array.isArray(sort) ? sort : [];
  if (typeof time !== 'string' || typeof tenant !== 'string' || typeof order !== 'number') {
    throw new Error(`the cluster returned sort values ${JSON.stringify(sort)}, not (time, tenant, order)`);
  }
  return [time, tenant, order];
}
