// How queued appends become writes: records are taken in order, across
// appends, until the segment, the byte cap or the size of one write says stop.
// Records never span segments.
import { frameBytes, payloadBytes, writeFrame } from './record.ts';
import type { SpoolState } from './state.ts';
import type { AppendResult, WhenFull } from './types.ts';

// Bytes encoded into one write: bounds the memory a burst of appends costs.
export const WRITE_CHUNK = 4 << 20;

/** One append waiting in the queue. It holds only its own records. */
export interface Request {
  readonly records: readonly (Buffer | string)[];
  readonly whenFull: WhenFull;
  readonly done: PromiseWithResolvers<AppendResult>;
  readonly signal: AbortSignal | undefined;
  /** Index of the first record not yet written or dropped. */
  next: number;
  accepted: number;
  dropped: number;
  inFlight: boolean;
  settled: boolean;
  unlisten?: () => void;
}

export function newRequest(
  records: readonly (Buffer | string)[],
  whenFull: WhenFull,
  signal: AbortSignal | undefined,
): Request {
  return {
    records,
    whenFull,
    done: Promise.withResolvers<AppendResult>(),
    signal,
    next: 0,
    accepted: 0,
    dropped: 0,
    inFlight: false,
    settled: false,
  };
}

/** The records of one request that go into a write, with their payload sizes. */
export interface Slice {
  request: Request;
  sizes: number[];
}

export type Plan =
  | { kind: 'write'; slices: Slice[]; bytes: number }
  /** The next record does not fit in the active segment: seal it first. */
  | { kind: 'roll' }
  /** The next record does not fit under the byte cap. */
  | { kind: 'full'; need: number };

/**
 * Decides the next step. Records that could never fit, even in an empty
 * spool, are dropped and counted (oversize) on the way.
 */
export function planWrite(queue: readonly Request[], state: SpoolState): Plan {
  const { segmentBytes, maxBytes } = state.options;
  const segmentUsed = state.active()?.end ?? 0;
  const slices: Slice[] = [];
  let bytes = 0;
  for (const request of queue) {
    const slice: Slice = { request, sizes: [] };
    let index = request.next;
    for (; index < request.records.length; index++) {
      const size = payloadBytes(request.records[index] as Buffer | string);
      const frame = frameBytes(size);
      if (frame > maxBytes) {
        if (bytes > 0) break;
        request.next++;
        request.dropped++;
        state.drop('oversize', 1, false);
        continue;
      }
      // A record larger than a segment still goes, alone, into an empty one.
      const segmentFull = segmentUsed + bytes + frame > segmentBytes && segmentUsed + bytes > 0;
      const spoolFull = state.bytesUsed + bytes + frame > maxBytes;
      if (segmentFull || spoolFull || (bytes > 0 && bytes + frame > WRITE_CHUNK)) {
        if (bytes > 0) break;
        return segmentFull ? { kind: 'roll' } : { kind: 'full', need: frame };
      }
      slice.sizes.push(size);
      bytes += frame;
    }
    if (slice.sizes.length > 0) slices.push(slice);
    // Order is kept: a request that is not wholly in this write stops it.
    if (index < request.records.length) break;
  }
  return { kind: 'write', slices, bytes };
}

/**
 * The frames of a planned write, all stamped with `time`, in `scratch` when it
 * is large enough (the writer reuses one buffer: a fresh one per write would
 * leave megabytes a second for the garbage collector).
 */
export function encodePlan(
  plan: Extract<Plan, { kind: 'write' }>,
  time: number,
  scratch: Buffer,
): { buffer: Buffer; records: number } {
  const buffer = plan.bytes <= scratch.length ? scratch.subarray(0, plan.bytes) : Buffer.allocUnsafe(plan.bytes);
  let at = 0;
  let records = 0;
  for (const { request, sizes } of plan.slices) {
    for (let i = 0; i < sizes.length; i++) {
      at = writeFrame(buffer, at, request.records[request.next + i] as Buffer | string, sizes[i] as number, time);
    }
    records += sizes.length;
  }
  return { buffer, records };
}

/** Drops what is left of a request that must not wait for room, counted as spool_full. */
export function dropRest(request: Request, state: SpoolState): void {
  const count = request.records.length - request.next;
  request.dropped += count;
  request.next = request.records.length;
  state.drop('spool_full', count, false);
}
