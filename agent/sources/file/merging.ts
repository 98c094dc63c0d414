// Multiline merge inside the file source: one merger per stream, a stream
// being one process (host, app, pid) in one file, so that lines of other
// processes interleaved in /var/log/messages do not break a stack trace.

import type { MultilineConfig } from '../../../schemas/agent-config.ts';
import type { LogEvent } from '../../pipeline/types.ts';
import { createLineMerger, type LineMerger } from '../../transforms/merge_lines.ts';
import { type LineMeta, mergedEvent } from './events.ts';
import type { Cursor } from './tracker.ts';

export class StreamMerge {
  readonly #config: MultilineConfig;
  readonly #hostName: string;
  readonly #mergers = new Map<string, LineMerger<LineMeta>>();

  constructor(config: MultilineConfig, hostName: string) {
    // Compiles the settings now, so a bad start_pattern fails at start-up.
    createLineMerger(config);
    this.#config = config;
    this.#hostName = hostName;
  }

  push(meta: LineMeta, now: number, events: LogEvent[]): void {
    const syslog = meta.parsed.syslog;
    const key = `${meta.cursor.entry.key}\u0000${syslog?.hostname ?? ''}\u0000${syslog?.appname ?? ''}\u0000${syslog?.procid ?? ''}`;
    let merger = this.#mergers.get(key);
    if (!merger) {
      merger = createLineMerger<LineMeta>(this.#config);
      this.#mergers.set(key, merger);
    }
    const input = { text: meta.parsed.message, meta, truncated: meta.record.truncated };
    for (const merged of merger.push(input, now)) events.push(mergedEvent(this.#hostName, merged));
  }

  /** Emits what waited flush_after, and forgets streams that hold nothing. */
  flushDue(now: number, events: LogEvent[]): void {
    for (const [key, merger] of this.#mergers) {
      for (const merged of merger.flushDue(now)) events.push(mergedEvent(this.#hostName, merged));
      if (merger.nextDeadline() === undefined) this.#mergers.delete(key);
    }
  }

  flushAll(events: LogEvent[]): void {
    for (const merger of this.#mergers.values()) {
      for (const merged of merger.flushAll()) events.push(mergedEvent(this.#hostName, merged));
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
