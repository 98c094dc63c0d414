// Which segments may go, and when. Runs inside the writer's pump, so it never
// races an append on the active segment.
//
// - Delivered (every reader acknowledged it) and older than the history
//   window: deleted.
// - Undelivered and older than max_age: deleted, counted as spool_expired.
// - When an append needs room: delivered segments go even inside the history
//   window (history yields to new data); in ring mode the oldest segments go
//   whatever their state, counted as spool_full. Undelivered data is never
//   deleted to keep history.
//
// Ages are measured by a segment's newest record.
import { unlink } from 'node:fs/promises';
import { errorCode } from '../checkpoint/store.ts';
import type { SegmentInfo } from './segment.ts';
import type { SpoolState } from './state.ts';

type Action = 'keep' | 'history' | 'expired' | 'evict';

export async function runRetention(
  state: SpoolState,
  needBytes: number,
  sealActive: () => Promise<void>,
): Promise<void> {
  const { historyMs, maxAgeMs, maxBytes, mode } = state.options;
  const now = state.now();
  let excess = needBytes > 0 ? state.bytesUsed + needBytes - maxBytes : 0;
  for (const segment of [...state.segments]) {
    if (segment.records === 0 && !segment.sealed) continue;
    const action = decide(state, segment, now, historyMs, maxAgeMs, excess > 0, mode === 'ring');
    if (action === 'keep') continue;
    if (!segment.sealed) {
      await sealActive();
      // Sealing failed (an I/O error was reported); leave the segment alone.
      if (!segment.sealed) continue;
    }
    if (action === 'expired') {
      state.drop('spool_expired', state.unacked(segment), false);
    } else if (action === 'evict') {
      if (state.acked(segment)) state.historyEvicted += segment.records;
      // In ring mode the spool is the history itself: cutting it short is a counted, intended drop.
      if (mode === 'ring') state.drop('spool_full', segment.records, true);
    }
    await remove(state, segment);
    excess -= segment.bytes;
  }
  state.reportGauges(false);
}

function decide(
  state: SpoolState,
  segment: SegmentInfo,
  now: number,
  historyMs: number,
  maxAgeMs: number,
  needRoom: boolean,
  ring: boolean,
): Action {
  if (segment.records === 0) return 'history';
  const age = now - segment.maxTime;
  const acked = state.acked(segment);
  if (acked && age > historyMs) return 'history';
  if (!acked && age > maxAgeMs) return 'expired';
  if (needRoom && (acked || ring)) return 'evict';
  return 'keep';
}

async function remove(state: SpoolState, segment: SegmentInfo): Promise<void> {
  state.segments = state.segments.filter((candidate) => candidate !== segment);
  state.bytesUsed -= segment.bytes;
  // Readers still inside it move to what follows; this is a no-op for readers past it.
  const next = { segment: segment.id + 1, offset: 0, index: 0 };
  for (const reader of state.readers.values()) reader.skipTo(next);
  state.notifyData();
  try {
    await unlink(segment.path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') state.warn(`cannot delete spool segment ${segment.path}: ${String(error)}`);
  }
}
