// The control document of a tenant index: which generation of each bundle
// is visible, which generations are being written (by whom, since when),
// and the next generation number. It is what makes a bundle appear all at
// once: a writer indexes its events under a new generation that no search
// includes, and commit() changes this one document, in one write, to list
// the new generation in place of the bundle's old one. Every search reads it
// first (a real-time get, so a write is seen at once, with no refresh) and
// asks only for the generations it lists.
//
// Changes are optimistic: read with the document's sequence number, write
// with if_seq_no/if_primary_term, and start again on a conflict (two
// writers of one tenant committing at the same moment). No script is
// needed, so the lean distribution (no Painless) works as a full one.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Cluster, isClusterError } from './cluster.ts';
import { CONTROL_KEY } from './mapping.ts';
import { CONTROL_ID } from './naming.ts';

export interface WritingEntry {
  readonly gen: number;
  readonly bundle: string;
  /** host:pid:start of the writing process (owner.ts). */
  readonly owner: string;
  readonly startedMs: number;
}

export interface ControlState {
  /** The next generation number to hand out; every generation below it was handed out once. */
  readonly next: number;
  /** bundle → its visible generation. */
  readonly visible: ReadonlyMap<string, number>;
  readonly writing: readonly WritingEntry[];
}

export const EMPTY_CONTROL: ControlState = { next: 1, visible: new Map(), writing: [] };

interface Stored {
  next?: unknown;
  visible?: unknown;
  writing?: unknown;
}

/** The state in a document's _source (tolerant of what an older writer left out). */
export function parseControl(source: unknown): ControlState {
  const stored = ((source as Record<string, unknown> | undefined)?.[CONTROL_KEY] ?? {}) as Stored;
  const visible = new Map<string, number>();
  if (Array.isArray(stored.visible)) {
    for (const entry of stored.visible) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && Number.isSafeInteger(entry[1])) {
        visible.set(entry[0], entry[1] as number);
      }
    }
  }
  const writing: WritingEntry[] = [];
  if (Array.isArray(stored.writing)) {
    for (const entry of stored.writing) {
      if (!Array.isArray(entry)) continue;
      const [gen, bundle, owner, startedMs] = entry as unknown[];
      if (Number.isSafeInteger(gen) && typeof bundle === 'string' && typeof owner === 'string') {
        writing.push({ gen: gen as number, bundle, owner, startedMs: Number(startedMs) || 0 });
      }
    }
  }
  const next = Number.isSafeInteger(stored.next) && (stored.next as number) >= 1 ? (stored.next as number) : 1;
  return { next, visible, writing };
}

export function controlSource(state: ControlState): Record<string, unknown> {
  return {
    [CONTROL_KEY]: {
      next: state.next,
      visible: [...state.visible].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
      writing: state.writing.map((entry) => [entry.gen, entry.bundle, entry.owner, entry.startedMs]),
    },
  };
}

/** The generations a search of this state may see. */
export function visibleGens(state: ControlState): number[] {
  return [...new Set(state.visible.values())].sort((a, b) => a - b);
}

interface GetAnswer {
  _index?: string;
  found?: boolean;
  _seq_no?: number;
  _primary_term?: number;
  _source?: unknown;
  error?: { type?: string };
}

/**
 * The control states of several indices in one request; an index that does
 * not exist, or has no control document yet, is absent from the map.
 */
export async function readControls(cluster: Cluster, indices: readonly string[]): Promise<Map<string, ControlState>> {
  const out = new Map<string, ControlState>();
  if (indices.length === 0) return out;
  const answer = await cluster.request<{ docs?: GetAnswer[] }>('POST', '/_mget', {
    body: { docs: indices.map((index) => ({ _index: index, _id: CONTROL_ID })) },
    query: { realtime: true },
  });
  for (const doc of answer.docs ?? []) {
    if (doc.error) {
      if (doc.error.type === 'index_not_found_exception') continue;
      throw new Error(`reading the control document of ${doc._index}: ${JSON.stringify(doc.error)}`);
    }
    if (doc.found && doc._index) out.set(doc._index, parseControl(doc._source));
  }
  return out;
}

/**
 * Changes an index's control document: `change` gets the current state and
 * returns the new one and a result (or no state: nothing to write). Runs
 * again when another writer changed the document meanwhile.
 */
export async function updateControl<T>(
  cluster: Cluster,
  index: string,
  change: (state: ControlState) => { state?: ControlState; result: T },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let current: GetAnswer | undefined;
    try {
      current = await cluster.request<GetAnswer>('GET', `/${index}/_doc/${CONTROL_ID}`, { query: { realtime: true } });
    } catch (error) {
      if (!isClusterError(error) || error.status !== 404) throw error;
      if (error.type === 'index_not_found_exception') throw error;
      current = undefined;
    }
    const found = current?.found === true;
    const { state, result } = change(found ? parseControl(current?._source) : EMPTY_CONTROL);
    if (!state) return result;
    try {
      await cluster.request('PUT', `/${index}/_doc/${CONTROL_ID}`, {
        body: controlSource(state),
        query: found
          ? { if_seq_no: current?._seq_no as number, if_primary_term: current?._primary_term as number }
          : { op_type: 'create' },
      });
      return result;
    } catch (error) {
      if (!isClusterError(error) || error.status !== 409 || attempt >= 100) throw error;
      await sleep(Math.random() * Math.min(200, 5 * 2 ** Math.min(attempt, 6)));
    }
  }
}
