// Multiline merge inside the file source: one merger per stream, a stream
// being one process (host, app, pid) in one file, so that lines of other
// processes interleaved in /var/log/messages do not break a stack trace. A
// line without a syslog header (an application's own log file, where a trace's
// `\tat ...` lines carry none) belongs to the stream of the line before it.

import type { MultilineConfig } from '../../../schemas/agent-config.ts';
import { createFreshLine, createLineMerger, type LineMerger, type MergeInput } from '../../transforms/merge_lines.ts';
import type { FileEventEncoder, LineMeta } from './events.ts';
import type { Cursor } from './tracker.ts';

/** The process of a file's last line; a line without a header belongs to it. */
interface Stream {
  host?: string;
  app?: string;
  pid?: string;
}

interface Busy {
  merger: LineMerger<LineMeta>;
  bucket: number;
}

const BUCKETS = 1024;

/** A cheap hash of a stream's app and pid into the busy filter. */
function streamBucket(stream: Stream): number {
  let h = 0;
  const app = stream.app ?? '';
  const pid = stream.pid ?? '';
  for (let i = 0; i < app.length; i++) h = (h * 31 + app.charCodeAt(i)) | 0;
  for (let i = 0; i < pid.length; i++) h = (h * 31 + pid.charCodeAt(i)) | 0;
  return (h >>> 0) % BUCKETS;
}

function streamKey(cursor: Cursor, stream: Stream): string {
  return `${cursor.entry.key}\u0000${stream.host ?? ''}\u0000${stream.app ?? ''}\u0000${stream.pid ?? ''}`;
}

export class StreamMerge {
  readonly #config: MultilineConfig;
  readonly #encoder: FileEventEncoder;
  readonly #fresh: ReturnType<typeof createFreshLine<LineMeta>>;
  /**
   * Mergers of the streams that are busy (inside a dump, or holding lines).
   * Every other stream is in the state of a fresh merger, so its lines go
   * through #fresh: a file written by thousands of processes costs no merger
   * per process. A counting filter over app and pid says when a line's
   * stream certainly has no merger, so most lines build no key either.
   */
  readonly #mergers = new Map<string, Busy>();
  readonly #busyBuckets = new Uint32Array(BUCKETS);
  readonly #last = new WeakMap<Cursor, Stream>();
  #lastCursor: Cursor | undefined;
  #lastStream: Stream | undefined;

  constructor(config: MultilineConfig, encoder: FileEventEncoder) {
    // Compiles the settings now, so a bad start_pattern fails at start-up.
    createLineMerger(config);
    this.#config = config;
    this.#encoder = encoder;
    this.#fresh = createFreshLine<LineMeta>(config);
  }

  /** Adds a line; the records of the events it completed go onto `records`. */
  push(meta: LineMeta, now: number, records: string[]): void {
    const last = this.#lastOf(meta.cursor);
    if (meta.parsed.parse_failure === undefined) {
      const syslog = meta.parsed.syslog;
      last.host = syslog?.hostname;
      last.app = syslog?.appname;
      last.pid = syslog?.procid;
    }
    const bucket = streamBucket(last);
    let key: string | undefined;
    let busy: Busy | undefined;
    if ((this.#busyBuckets[bucket] ?? 0) > 0) {
      key = streamKey(meta.cursor, last);
      busy = this.#mergers.get(key);
    }
    if (!busy && this.#fresh.standsAlone(meta.parsed.message)) {
      records.push(this.#encoder.line(meta));
      return;
    }
    const input: MergeInput<LineMeta> = { text: meta.parsed.message, meta, truncated: meta.record.truncated };
    if (!busy) {
      const single = this.#fresh.single(input);
      if (single) {
        records.push(this.#encoder.merged(single));
        return;
      }
      key ??= streamKey(meta.cursor, last);
      busy = { merger: createLineMerger<LineMeta>(this.#config), bucket };
      this.#mergers.set(key, busy);
      this.#busyBuckets[bucket] = (this.#busyBuckets[bucket] ?? 0) + 1;
    }
    for (const merged of busy.merger.push(input, now)) records.push(this.#encoder.merged(merged));
    if (!busy.merger.busy() && key !== undefined) this.#forget(key, busy);
  }

  #lastOf(cursor: Cursor): Stream {
    if (cursor === this.#lastCursor && this.#lastStream) return this.#lastStream;
    let last = this.#last.get(cursor);
    if (!last) {
      last = {};
      this.#last.set(cursor, last);
    }
    this.#lastCursor = cursor;
    this.#lastStream = last;
    return last;
  }

  #forget(key: string, busy: Busy): void {
    this.#mergers.delete(key);
    this.#busyBuckets[busy.bucket] = (this.#busyBuckets[busy.bucket] ?? 1) - 1;
  }

  /** Emits what waited flush_after, and forgets streams that hold nothing. */
  flushDue(now: number, records: string[]): void {
    for (const [key, busy] of this.#mergers) {
      for (const merged of busy.merger.flushDue(now)) records.push(this.#encoder.merged(merged));
      if (busy.merger.nextDeadline() === undefined) this.#forget(key, busy);
    }
  }

  flushAll(records: string[]): void {
    for (const [key, busy] of this.#mergers) {
      for (const merged of busy.merger.flushAll()) records.push(this.#encoder.merged(merged));
      this.#forget(key, busy);
    }
  }

  /** Per identity, the offset of the first line still held: no checkpoint may pass it. */
  heldStarts(): Map<Cursor, number> {
    const held = new Map<Cursor, number>();
    for (const { merger } of this.#mergers.values()) {
      const first = merger.pendingFirst();
      if (!first) continue;
      const start = held.get(first.cursor);
      if (start === undefined || first.record.start < start) held.set(first.cursor, first.record.start);
    }
    return held;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const { merger } of this.#mergers.values()) {
      const deadline = merger.nextDeadline();
      if (deadline !== undefined && (next === undefined || deadline < next)) next = deadline;
    }
    return next;
  }
}
