// Classifies what Elasticsearch answered, per item and per request, into what
// to do next. Item results are read even when the request says 200.

export type ItemOutcome =
  | { kind: 'delivered' }
  | { kind: 'duplicate' }
  | { kind: 'retry'; reason: string; slow: boolean }
  | { kind: 'reject'; status: number; reason: string };

export interface BulkItemResult {
  status?: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

export function classifyItem(item: BulkItemResult | undefined): ItemOutcome {
  const status = item?.status ?? 0;
  const type = item?.error?.type ?? '';
  const reason = describeItemError(item);
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  // Under op_type create a 409 means the event is already there: a replay.
  if (status === 409 && type === 'version_conflict_engine_exception') return { kind: 'duplicate' };
  if (status === 429 || status >= 500 || status === 0) return { kind: 'retry', reason, slow: false };
  // A read-only index (disk watermark, maintenance) recovers without us: wait, don't drop.
  if (status === 403 && type === 'cluster_block_exception') return { kind: 'retry', reason, slow: true };
  return { kind: 'reject', status, reason };
}

function describeItemError(item: BulkItemResult | undefined): string {
  const error = item?.error;
  if (!error) return `status ${item?.status ?? 'missing'}`;
  const cause = error.caused_by?.reason ? ` (${error.caused_by.reason})` : '';
  return `${error.type ?? 'error'}: ${error.reason ?? ''}${cause}`;
}

export type RequestOutcome =
  | { kind: 'retry'; reason: string; retryAfterMs?: number; slow: boolean }
  | { kind: 'split' }
  | { kind: 'fatal'; reason: string };

/** What to do when the bulk request itself failed (no item results). */
export function classifyRequestFailure(
  status: number | undefined,
  reason: string,
  retryAfter?: string | string[],
): RequestOutcome {
  if (status === 413) return { kind: 'split' };
  const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
  // Authentication and authorisation failures need an operator, but the agent
  // keeps its data and keeps trying slowly so it recovers once they fix it.
  if (status === 401 || status === 403) return { kind: 'retry', reason, slow: true, retryAfterMs };
  if (status === 400 || status === 404) return { kind: 'fatal', reason };
  return { kind: 'retry', reason, slow: false, retryAfterMs };
}

export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Full-jitter exponential backoff: 1 s doubling to the cap (60 s, or 5 min when slow). */
export function backoffMs(attempt: number, slow: boolean, random: () => number = Math.random): number {
  const cap = slow ? 300_000 : 60_000;
  const ceiling = Math.min(cap, 1000 * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
