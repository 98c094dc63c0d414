// Classifies what Elasticsearch answered, per item and per request, into what
// to do next. Item results are read even when the request says 200.
import { parseRetryAfter } from '../backoff.ts';

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

/**
 * An item refused because the user may not write to its index (403
 * security_exception). classifyItem calls it a rejection; the agent's sink
 * keeps such events and retries slowly, since granting the privilege heals it.
 */
export function isPrivilegeRefusal(item: BulkItemResult | undefined): boolean {
  return item?.status === 403 && item.error?.type === 'security_exception';
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

export interface RequestFailure {
  /** HTTP status; undefined when no answer came (the client says 0 or null then). */
  status?: number;
  reason: string;
  retryAfter?: string | string[];
}

/** The status, the cluster's own error type and reason, and Retry-After of a failed client request. */
export function requestFailure(error: unknown): RequestFailure {
  const meta = (error as { meta?: { statusCode?: number | null; headers?: Record<string, string | string[]> } }).meta;
  const body = (error as { body?: { error?: { type?: string; reason?: string } } }).body;
  const reason = body?.error?.reason
    ? `${body.error.type ?? 'error'}: ${body.error.reason}`
    : error instanceof Error
      ? error.message
      : String(error);
  return { status: meta?.statusCode || undefined, reason, retryAfter: meta?.headers?.['retry-after'] };
}
