// One bulk request, delivered whole or failed loudly: every item's result
// is read (also under a 200), items the cluster could not take yet (429,
// 5xx) are sent again with backoff, as is a request that got no answer;
// an item the cluster refuses for good fails the request with the refusal
// and the event's position. Events are written with `create` and their own
// ids, so sending one again is safe: 409 means it is already there.
// Responses are classified by the agent's sink's functions (the same
// cluster, the same answers).
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '../../../agent/sinks/backoff.ts';
import { type BulkItemResult, classifyItem, classifyRequestFailure } from '../../../agent/sinks/elasticsearch/retry.ts';
import { type Cluster, isClusterError } from './cluster.ts';

/** Attempts per bulk request before the write fails (about two minutes of backoff in all). */
const MAX_ATTEMPTS = 8;
const BULK_FILTER = 'errors,items.*.status,items.*.error';
const BULK_TIMEOUT_MS = 120_000;

export class BulkRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BulkRefused';
  }
}

interface BulkAnswer {
  errors?: boolean;
  items?: Record<string, BulkItemResult>[];
}

/**
 * Sends an NDJSON body of items of `linesPerItem` lines (2 for create, 1 for
 * delete) to `index`; resolves when every item is in (or, for deletes, gone).
 * `signal` stops the waits between attempts, not a request under way (the
 * cluster would go on with it anyway, and its caller wants to know it ended).
 */
export async function sendBulk(
  cluster: Cluster,
  index: string,
  body: string,
  linesPerItem: 1 | 2,
  signal?: AbortSignal,
): Promise<void> {
  let pending = body;
  for (let attempt = 0; ; attempt++) {
    let answer: BulkAnswer;
    let waitMs: number | undefined;
    let why = '';
    try {
      answer = await cluster.request<BulkAnswer>('POST', `/${index}/_bulk`, {
        bulk: pending,
        query: { filter_path: BULK_FILTER },
        timeoutMs: BULK_TIMEOUT_MS,
      });
      if (!answer.errors) return;
      const retry: string[] = [];
      const lines = pending.split('\n');
      answer.items?.forEach((entry, i) => {
        const result = Object.values(entry)[0];
        // A delete of a document that is already gone is what a delete wants.
        if (linesPerItem === 1 && result?.status === 404) return;
        const outcome = classifyItem(result);
        const item = lines.slice(i * linesPerItem, (i + 1) * linesPerItem);
        if (outcome.kind === 'retry') {
          retry.push(...item);
          why = outcome.reason;
        } else if (outcome.kind === 'reject') {
          throw new BulkRefused(`Elasticsearch refused ${describeItem(item)}: ${outcome.reason}`);
        }
      });
      if (retry.length === 0) return;
      pending = `${retry.join('\n')}\n`;
    } catch (error) {
      if (error instanceof BulkRefused || !isClusterError(error)) throw error;
      const outcome = classifyRequestFailure(error.status || undefined, error.message, error.retryAfter);
      if (outcome.kind !== 'retry') throw error;
      waitMs = outcome.retryAfterMs;
      why = error.message;
    }
    if (signal?.aborted) throw new Error('the bulk request was given up');
    if (attempt + 1 >= MAX_ATTEMPTS) {
      throw new Error(`Elasticsearch did not take a bulk request into ${index} after ${MAX_ATTEMPTS} attempts: ${why}`);
    }
    await sleep(Math.max(waitMs ?? 0, backoffMs(attempt, false)), undefined, signal ? { signal } : undefined);
  }
}

/** "the event of FILE:LINE" for a create item, or the document id. */
function describeItem(item: readonly string[]): string {
  try {
    const action = JSON.parse(item[0] ?? '{}') as Record<string, { _id?: string }>;
    const id = Object.values(action)[0]?._id ?? '?';
    if (item.length < 2) return `document ${id}`;
    const source = JSON.parse(item[1] ?? '{}') as { shiplog?: { file?: string; line?: number } };
    return `the event of ${source.shiplog?.file}:${source.shiplog?.line} (document ${id})`;
  } catch {
    return 'an item';
  }
}
