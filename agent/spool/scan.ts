// The history scan for support bundles: every retained record in a time
// window, regardless of cursors, streamed one window of a file at a time so
// memory stays flat however large the spool is.
import { type FileHandle, open } from 'node:fs/promises';
import { isFiller, isFrame } from './record.ts';
import { FileWindow } from './segment.ts';
import type { SpoolState } from './state.ts';
import type { ScanWindow, SpoolRecord } from './types.ts';

export async function* scanSegments(state: SpoolState, window: ScanWindow = {}): AsyncGenerator<SpoolRecord> {
  const since = window.since?.getTime() ?? Number.NEGATIVE_INFINITY;
  const until = window.until?.getTime() ?? Number.POSITIVE_INFINITY;
  // Segments deleted while the scan runs are skipped; those created meanwhile are included.
  for (let id = state.segments[0]?.id ?? 0; ; id++) {
    const segment = state.segmentFrom(id);
    if (!segment) return;
    id = segment.id;
    if (segment.records === 0 || segment.maxTime < since || segment.minTime > until) continue;
    let handle: FileHandle;
    try {
      handle = await open(segment.path, 'r');
    } catch {
      continue;
    }
    try {
      const reader = new FileWindow(handle);
      let at = 0;
      let index = 0;
      for (;;) {
        const limit = segment.sealed ? segment.end : segment.durable;
        if (at >= limit) break;
        const frame = await reader.frameAt(at, limit);
        if (!isFrame(frame)) {
          // Holes were counted at open; other damage is the readers' to count.
          const hole = segment.holes.find(([start]) => start === at);
          if (!hole) break;
          at = hole[1];
          continue;
        }
        if (isFiller(frame)) {
          at = frame.end;
          continue;
        }
        if (frame.time >= since && frame.time <= until) {
          yield { data: frame.payload, time: frame.time, position: { segment: segment.id, offset: at, index } };
        }
        index++;
        at = frame.end;
      }
    } finally {
      await handle.close();
    }
  }
}
