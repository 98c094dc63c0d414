// Checks a request's parts before anything is asked of the cluster, with
// the same QueryError messages as the SQLite backend, so the HTTP layer
// answers 400 the same way whichever backend runs.
import { parseTimestamp } from '../sqlite/timestamps.ts';
import { QueryError, type SearchFilters } from '../types.ts';
import type { TimeRange } from './compile.ts';
import { canonicalTime } from './documents.ts';

export {
  checkFacetFields,
  checkFilters,
  checkOrder,
  checkTenants,
  checkWhole,
  MAX_CONTEXT,
  MAX_LIMIT,
} from '../requests.ts';

/** from/to in the form @timestamp is indexed in; QueryError when they are not RFC 3339. */
export function timeRange(filters: SearchFilters): TimeRange {
  const parse = (name: 'from' | 'to') => {
    const text = filters[name];
    if (text === undefined) return undefined;
    const time = typeof text === 'string' ? parseTimestamp(text) : undefined;
    if (!time) throw new QueryError(`filters.${name} ${JSON.stringify(text)} is not an RFC 3339 time`, 0);
    return canonicalTime(time.ms, time.ns);
  };
  const from = parse('from');
  const to = parse('to');
  return { ...(from !== undefined && { from }), ...(to !== undefined && { to }) };
}

export function checkBundleName(bundle: string): void {
  if (typeof bundle !== 'string' || bundle.length === 0 || bundle.length > 256) {
    throw new TypeError('a bundle id must be a non-empty string of at most 256 characters');
  }
}
