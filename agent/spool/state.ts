// What the writer, the retention rules, the readers and the scan share: the
// list of segments, the counters, and the wake-up for readers waiting on data.
import type { DropReason, Telemetry } from '../pipeline/types.ts';
import type { SegmentInfo } from './segment.ts';
import type { FsyncPolicy, SpoolMode, SpoolPosition, WhenFull } from './types.ts';

export const COMPONENT = 'spool';
const KEPT_WARNINGS = 20;

/** The part of a reader that retention needs. */
export interface CursorHolder {
  readonly name: string;
  /** The acknowledged position that is on disk; only this may free data. */
  readonly persisted: SpoolPosition;
  /** Moves the reader past records that were deleted unread (expiry, ring mode). */
  skipTo(position: SpoolPosition): void;
}

export interface ResolvedOptions {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  maxAgeMs: number;
  historyMs: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  mode: SpoolMode;
  whenFull: WhenFull;
}

type CountedDrop = 'spool_full' | 'spool_expired' | 'spool_corrupt' | 'oversize';

export class SpoolState {
  readonly options: ResolvedOptions;
  readonly telemetry: Telemetry;
  readonly now: () => number;
  readonly #onWarning: ((message: string) => void) | undefined;
  /** Oldest first; the last one is where appends go unless it is sealed. */
  segments: SegmentInfo[] = [];
  bytesUsed = 0;
  nextSegmentId = 1;
  readonly readers = new Map<string, CursorHolder>();
  readonly dropped: Record<CountedDrop, number> = { spool_full: 0, spool_expired: 0, spool_corrupt: 0, oversize: 0 };
  historyEvicted = 0;
  corruptBytes = 0;
  ignoredFiles = 0;
  readonly warnings: string[] = [];
  closed = false;
  #data = Promise.withResolvers<void>();

  constructor(options: ResolvedOptions, telemetry: Telemetry, now: () => number, onWarning?: (m: string) => void) {
    this.options = options;
    this.telemetry = telemetry;
    this.now = now;
    this.#onWarning = onWarning;
  }

  /** Resolves at the next change readers care about: new durable data, deletion, close. */
  dataChanged(): Promise<void> {
    return this.#data.promise;
  }

  notifyData(): void {
    const previous = this.#data;
    this.#data = Promise.withResolvers<void>();
    previous.resolve();
  }

  segment(id: number): SegmentInfo | undefined {
    return this.segments.find((segment) => segment.id === id);
  }

  /** The first retained segment whose id is at least `id`. */
  segmentFrom(id: number): SegmentInfo | undefined {
    return this.segments.find((segment) => segment.id >= id);
  }

  active(): SegmentInfo | undefined {
    const last = this.segments.at(-1);
    return last && !last.sealed ? last : undefined;
  }

  drop(reason: CountedDrop & DropReason, count: number, intentional: boolean): void {
    if (count <= 0) return;
    this.dropped[reason] += count;
    this.telemetry.eventsDropped(COMPONENT, reason, count, intentional);
  }

  warn(message: string): void {
    this.warnings.push(message);
    if (this.warnings.length > KEPT_WARNINGS) this.warnings.shift();
    this.#onWarning?.(message);
  }

  /** Records of a segment that some reader has not acknowledged (the slowest reader's count). */
  unacked(segment: SegmentInfo): number {
    let most = 0;
    for (const reader of this.readers.values()) {
      const at = reader.persisted;
      if (at.segment < segment.id) most = Math.max(most, segment.records);
      else if (at.segment === segment.id) most = Math.max(most, segment.records - at.index);
    }
    return most;
  }

  /** Every reader has acknowledged every record of the segment. */
  acked(segment: SegmentInfo): boolean {
    for (const reader of this.readers.values()) {
      const at = reader.persisted;
      if (at.segment < segment.id || (at.segment === segment.id && at.offset < segment.end)) return false;
    }
    return true;
  }

  reportGauges(blocked: boolean): void {
    let records = 0;
    for (const segment of this.segments) records += segment.records;
    this.telemetry.gauge(COMPONENT, 'bytes', this.bytesUsed);
    this.telemetry.gauge(COMPONENT, 'segments', this.segments.length);
    this.telemetry.gauge(COMPONENT, 'records', records);
    this.telemetry.gauge(COMPONENT, 'blocked', blocked ? 1 : 0);
    this.telemetry.gauge(COMPONENT, 'history_evicted', this.historyEvicted);
  }
}

export const noTelemetry: Telemetry = {
  eventsReceived() {},
  eventsSent() {},
  eventsDropped() {},
  gauge() {},
};
