// Multiline merge inside the line stage: one merger per stream and process,
// a stream being what the source says (a file identity, a connection, a UDP
// sender) and a process its (host, app, pid), so that lines of other
// processes interleaved in /var/log/messages do not break a stack trace. A
// line without a syslog header (an application's own log file, where a
// trace's `\tat ...` lines carry none) belongs to the process of the line
// before it in the same stream.

import type { MultilineConfig } from '../../schemas/agent-config.ts';
import { createFreshLine, createLineMerger, type LineMerger, type MergeInput } from '../transforms/merge_lines.ts';
import type { LineMeta, StreamEncoder } from './encoding.ts';

/** The process of a stream's last line; a line without a header belongs to it. */
interface Process {
  host?: string;
  app?: string;
  pid?: string;
}

interface Busy<S> {
  merger: LineMerger<LineMeta<S>>;
  bucket: number;
  stream: S;
}

const BUCKETS = 1024;

/** A cheap hash of a process's app and pid into the busy filter. */
function processBucket(process: Process): number {
  let h = 0;
  const app = process.app ?? '';
  const pid = process.pid ?? '';
  for (let i = 0; i < app.length; i++) h = (h * 31 + app.charCodeAt(i)) | 0;
  for (let i = 0; i < pid.length; i++) h = (h * 31 + pid.charCodeAt(i)) | 0;
  return (h >>> 0) % BUCKETS;
}

export class StreamMerge<S extends object> {
  readonly #config: MultilineConfig;
  readonly #encoder: StreamEncoder<S>;
  readonly #keyOf: (stream: S) => string;
  readonly #fresh: ReturnType<typeof createFreshLine<LineMeta<S>>>;
  /**
   * Mergers of the processes that are busy (inside a dump, or holding
   * lines). Every other one is in the state of a fresh merger, so its lines
   * go through #fresh: a file written by thousands of processes costs no
   * merger per process. A counting filter over app and pid says when a
   * line's process certainly has no merger, so most lines build no key either.
   */
  readonly #mergers = new Map<string, Busy<S>>();
  readonly #busyBuckets = new Uint32Array(BUCKETS);
  readonly #last = new WeakMap<S, Process>();
  #lastStream: S | undefined;
  #lastProcess: Process | undefined;

  constructor(config: MultilineConfig, encoder: StreamEncoder<S>, keyOf: (stream: S) => string) {
    // Compiles the settings now, so a bad start_pattern fails at start-up.
    createLineMerger(config);
    this.#config = config;
    this.#encoder = encoder;
    this.#keyOf = keyOf;
    this.#fresh = createFreshLine<LineMeta<S>>(config);
  }

  /** Adds a line; the records of the events it completed go onto `records`. */
  push(meta: LineMeta<S>, now: number, records: string[]): void {
    const last = this.#lastOf(meta.stream);
    if (meta.parsed.parse_failure === undefined) {
      const syslog = meta.parsed.syslog;
      last.host = syslog?.hostname;
      last.app = syslog?.appname;
      last.pid = syslog?.procid;
    }
    const bucket = processBucket(last);
    let key: string | undefined;
    let busy: Busy<S> | undefined;
    if ((this.#busyBuckets[bucket] ?? 0) > 0) {
      key = this.#key(meta.stream, last);
      busy = this.#mergers.get(key);
    }
    if (!busy && this.#fresh.standsAlone(meta.parsed.message)) {
      records.push(this.#encoder.line(meta));
      return;
    }
    const input: MergeInput<LineMeta<S>> = { text: meta.parsed.message, meta, truncated: meta.record.truncated };
    if (!busy) {
      const single = this.#fresh.single(input);
      if (single) {
        records.push(this.#encoder.merged(single));
        return;
      }
      key ??= this.#key(meta.stream, last);
      busy = { merger: createLineMerger<LineMeta<S>>(this.#config), bucket, stream: meta.stream };
      this.#mergers.set(key, busy);
      this.#busyBuckets[bucket] = (this.#busyBuckets[bucket] ?? 0) + 1;
    }
    for (const merged of busy.merger.push(input, now)) records.push(this.#encoder.merged(merged));
    if (!busy.merger.busy() && key !== undefined) this.#forget(key, busy);
  }

  #key(stream: S, process: Process): string {
    return `${this.#keyOf(stream)}\u0000${process.host ?? ''}\u0000${process.app ?? ''}\u0000${process.pid ?? ''}`;
  }

  #lastOf(stream: S): Process {
    if (stream === this.#lastStream && this.#lastProcess) return this.#lastProcess;
    let last = this.#last.get(stream);
    if (!last) {
      last = {};
      this.#last.set(stream, last);
    }
    this.#lastStream = stream;
    this.#lastProcess = last;
    return last;
  }

  #forget(key: string, busy: Busy<S>): void {
    this.#mergers.delete(key);
    this.#busyBuckets[busy.bucket] = (this.#busyBuckets[busy.bucket] ?? 1) - 1;
  }

  /** Emits what waited flush_after, and forgets processes that hold nothing. */
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

  /** Emits everything one stream holds, and forgets it. */
  flushStream(stream: S, records: string[]): void {
    for (const [key, busy] of this.#mergers) {
      if (busy.stream !== stream) continue;
      for (const merged of busy.merger.flushAll()) records.push(this.#encoder.merged(merged));
      this.#forget(key, busy);
    }
    this.#last.delete(stream);
    if (this.#lastStream === stream) {
      this.#lastStream = undefined;
      this.#lastProcess = undefined;
    }
  }

  /** Per stream, the start of the first line still held: no checkpoint may pass it. */
  heldStarts(): Map<S, number> {
    const held = new Map<S, number>();
    for (const { merger } of this.#mergers.values()) {
      const first = merger.pendingFirst();
      if (!first) continue;
      const start = held.get(first.stream);
      if (start === undefined || first.record.start < start) held.set(first.stream, first.record.start);
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
