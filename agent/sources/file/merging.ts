// Multiline merge inside the file source: one merger per stream, a stream
// being one process (host, app, pid) in one file, so that lines of other
// processes interleaved in /var/log/messages do not break a stack trace. A
// line without a syslog header (an application's own log file, where a trace's
// `\tat ...` lines carry none) belongs to the stream of the line before it.

import type { MultilineConfig } from '../../../schemas/agent-config.ts';
import type { LogEvent } from '../../pipeline/types.ts';
import { createLineMerger, type LineMerger } from '../../transforms/merge_lines.ts';
import { type LineMeta, mergedEvent } from './events.ts';
import type { Cursor } from './tracker.ts';

export class StreamMerge {
  readonly #config: MultilineConfig;
  readonly #hostName: string;
  readonly #mergers = new Map<string, LineMerger<LineMeta>>();
  /** Per file, the stream of its last line: consecutive lines of one process skip the key lookup. */
  readonly #last = new Map<
    Cursor,
    { key: string; merger: LineMerger<LineMeta>; host?: string; app?: string; pid?: string }
  >();

  constructor(config: MultilineConfig, hostName: string) {
    // Compiles the settings now, so a bad start_pattern fails at start-up.
    createLineMerger(config);
    this.#config = config;
    this.#hostName = hostName;
  }

  push(meta: LineMeta, now: number, events: LogEvent[]): void {
    const input = { text: meta.parsed.message, meta, truncated: meta.record.truncated };
    for (const merged of this.#mergerFor(meta).push(input, now)) events.push(mergedEvent(this.#hostName, merged));
  }

  #mergerFor(meta: LineMeta): LineMerger<LineMeta> {
    const last = this.#last.get(meta.cursor);
    const syslog = meta.parsed.syslog;
    if (last && (meta.parsed.parse_failure !== undefined || sameProcess(last, syslog))) return last.merger;
    const key = `${meta.cursor.entry.key}\u0000${syslog?.hostname ?? ''}\u0000${syslog?.appname ?? ''}\u0000${syslog?.procid ?? ''}`;
    let merger = this.#mergers.get(key);
    if (!merger) {
      merger = createLineMerger<LineMeta>(this.#config);
      this.#mergers.set(key, merger);
    }
    this.#last.set(meta.cursor, { key, merger, host: syslog?.hostname, app: syslog?.appname, pid: syslog?.procid });
    return merger;
  }

  /** Emits what waited flush_after, and forgets streams that hold nothing. */
  flushDue(now: number, events: LogEvent[]): void {
    for (const [key, merger] of this.#mergers) {
      for (const merged of merger.flushDue(now)) events.push(mergedEvent(this.#hostName, merged));
      if (merger.nextDeadline() === undefined) this.#mergers.delete(key);
    }
    // A forgotten merger must not be fed again through the per-file shortcut.
    for (const [cursor, last] of this.#last) if (!this.#mergers.has(last.key)) this.#last.delete(cursor);
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

function sameProcess(
  last: { host?: string; app?: string; pid?: string },
  syslog: LineMeta['parsed']['syslog'],
): boolean {
  return last.host === syslog?.hostname && last.app === syslog?.appname && last.pid === syslog?.procid;
}
