// Multiline merge inside the file source: one merger per stream, a stream
// being one process (host, app, pid) in one file, so that lines of other
// processes interleaved in /var/log/messages do not break a stack trace. A
// line without a syslog header (an application's own log file, where a trace's
// `\tat ...` lines carry none) belongs to the stream of the line before it.

import type { MultilineConfig } from '../../../schemas/agent-config.ts';
import {
  createFreshLine,
  createLineMerger,
  type LineMerger,
  type MergedEvent,
  type MergeInput,
} from '../../transforms/merge_lines.ts';
import type { FileEventEncoder, LineMeta } from './events.ts';
import type { Cursor } from './tracker.ts';

export class StreamMerge {
  readonly #config: MultilineConfig;
  readonly #encoder: FileEventEncoder;
  readonly #fresh: (line: MergeInput<LineMeta>) => MergedEvent<LineMeta> | undefined;
  /**
   * Mergers of the streams that are busy (inside a dump, or holding lines).
   * Every other stream is in the state of a fresh merger, so its lines go
   * through #fresh: a file written by thousands of processes costs no merger
   * per process, and no key per line while no stream is busy.
   */
  readonly #mergers = new Map<string, LineMerger<LineMeta>>();
  /** Per file, the process of its last line, which a line without a header belongs to. */
  readonly #last = new WeakMap<Cursor, { host?: string; app?: string; pid?: string }>();

  constructor(config: MultilineConfig, encoder: FileEventEncoder) {
    // Compiles the settings now, so a bad start_pattern fails at start-up.
    createLineMerger(config);
    this.#config = config;
    this.#encoder = encoder;
    this.#fresh = createFreshLine<LineMeta>(config);
  }

  /** Adds a line; the records of the events it completed go onto `records`. */
  push(meta: LineMeta, now: number, records: string[]): void {
    const input: MergeInput<LineMeta> = { text: meta.parsed.message, meta, truncated: meta.record.truncated };
    let last = this.#last.get(meta.cursor);
    if (!last) {
      last = {};
      this.#last.set(meta.cursor, last);
    }
    const syslog = meta.parsed.syslog;
    if (meta.parsed.parse_failure === undefined) {
      last.host = syslog?.hostname;
      last.app = syslog?.appname;
      last.pid = syslog?.procid;
    }
    let key: string | undefined;
    let merger: LineMerger<LineMeta> | undefined;
    if (this.#mergers.size > 0) {
      key = `${meta.cursor.entry.key}\u0000${last.host ?? ''}\u0000${last.app ?? ''}\u0000${last.pid ?? ''}`;
      merger = this.#mergers.get(key);
    }
    if (!merger) {
      const single = this.#fresh(input);
      if (single) {
        records.push(this.#encoder.merged(single));
        return;
      }
      key ??= `${meta.cursor.entry.key}\u0000${last.host ?? ''}\u0000${last.app ?? ''}\u0000${last.pid ?? ''}`;
      merger = createLineMerger<LineMeta>(this.#config);
      this.#mergers.set(key, merger);
    }
    for (const merged of merger.push(input, now)) records.push(this.#encoder.merged(merged));
    if (!merger.busy() && key !== undefined) this.#mergers.delete(key);
  }

  /** Emits what waited flush_after, and forgets streams that hold nothing. */
  flushDue(now: number, records: string[]): void {
    for (const [key, merger] of this.#mergers) {
      for (const merged of merger.flushDue(now)) records.push(this.#encoder.merged(merged));
      if (merger.nextDeadline() === undefined) this.#mergers.delete(key);
    }
  }

  flushAll(records: string[]): void {
    for (const merger of this.#mergers.values()) {
      for (const merged of merger.flushAll()) records.push(this.#encoder.merged(merged));
    }
  }

  /** Per identity, the offset of the first line still held: no checkpoint may pass it. */
  heldStarts(): Map<Cursor, number> {
    const held = new Map<Cursor, number>();
    for (const merger of this.#mergers.values()) {
      const first = merger.pendingFirst();
      if (!first) continue;
      const start = held.get(first.cursor);
      if (start === undefined || first.record.start < start) held.set(first.cursor, first.record.start);
    }
    return held;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const merger of this.#mergers.values()) {
      const deadline = merger.nextDeadline();
      if (deadline !== undefined && (next === undefined || deadline < next)) next = deadline;
    }
    return next;
  }
}
