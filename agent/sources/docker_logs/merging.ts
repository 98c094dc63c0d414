// Multiline merge inside docker_logs: one merger per stream of a container,
// fed with whole lines (after partial reassembly and decoding), so a Java,
// Python or Go stack trace printed by a container becomes one event.
//
// Exactly-once: a line the merger holds is not handed on. It is not covered
// by the follower's cursor (the marks stop before it) and its stamp counts as
// unfinished for the resume point, like a pending partial line. After a
// reconnect the held lines are forgotten and read again; after a restart of
// the agent they are read again from the checkpoint, with the same seq, so
// the merged event gets the same id.

import { parseDuration } from '../../../core/units.ts';
import type { MultilineConfig } from '../../../schemas/agent-config.ts';
import { stampId, streamIdPrefix } from '../../pipeline/event-id.ts';
import { flat, quote } from '../../pipeline/event-json.ts';
import { createLineMerger, type LineMerger, type MergedEvent } from '../../transforms/merge_lines.ts';
import { Cursor, earlier, type Mark, STREAMS } from './checkpoint.ts';
import type { Stamp, StreamName } from './lines.ts';
import type { ContainerMetadata } from './metadata.ts';
import type { Line } from './partials.ts';

/** What the merger carries per line: where it is in the container's log. */
export interface LineInfo {
  readonly stream: StreamName;
  readonly stamp: Stamp;
  /** Ordinal among the container's lines with this stamp (the id's seq). */
  readonly seq: number;
  /** The stream's mark once this line is handed on. */
  readonly mark: Mark;
  readonly partial: boolean;
  /** The line's bytes. */
  readonly bytes: number;
}

/** A line, or a merged run of lines of one stream, ready to become an event. */
export interface OutLine {
  readonly first: LineInfo;
  readonly last: LineInfo;
  readonly message: string;
  readonly lineCount: number;
  readonly truncated: boolean;
  readonly partial: boolean;
  /** Message bytes, for batch sizes. */
  readonly bytes: number;
}

/** The merge settings to use, or undefined when merge is off (no cost at all). A bad pattern throws here. */
export function mergeConfig(config: MultilineConfig | undefined): MultilineConfig | undefined {
  if (!config || config.mode === 'off') return undefined;
  createLineMerger(config);
  return config;
}

/** One line that bypasses merge (mode off). */
export function singleLine(line: Line, seq: number, mark: Mark = { stamp: line.stamp, n: 1 }): OutLine {
  const bytes = line.bytes.length;
  const info: LineInfo = { stream: line.stream, stamp: line.stamp, seq, mark, partial: line.partial, bytes };
  return {
    first: info,
    last: info,
    message: line.bytes.toString('utf8'),
    lineCount: 1,
    truncated: line.truncated,
    partial: line.partial,
    bytes,
  };
}

function fromMerged(merged: MergedEvent<LineInfo>): OutLine {
  const { firstMeta: first, lastMeta: last, text } = merged;
  return {
    first,
    last,
    message: text,
    lineCount: merged.lineCount,
    truncated: merged.truncated,
    partial: first.partial || last.partial,
    bytes: merged.lineCount === 1 && !merged.truncated ? first.bytes : Buffer.byteLength(text),
  };
}

export interface EventContext {
  readonly hostName: string;
  readonly containerId: string;
  readonly metadata: ContainerMetadata;
}

/** The parts of a record that stay the same while a container's metadata does. */
interface ContainerParts {
  readonly metadata: ContainerMetadata;
  readonly hostName: string;
  /** `,"host":...,"container":...[,"service":...]` */
  readonly tail: string;
  readonly keyJson: string;
  readonly prefixes: Record<StreamName, string>;
}

const containerParts = new WeakMap<ContainerMetadata, ContainerParts>();

function partsOf(ctx: EventContext): ContainerParts {
  let parts = containerParts.get(ctx.metadata);
  if (parts?.hostName === ctx.hostName) return parts;
  const service = ctx.metadata.service ? `,"service":{"name":${quote(ctx.metadata.service.name)}}` : '';
  parts = {
    metadata: ctx.metadata,
    hostName: ctx.hostName,
    tail: `,"host":{"name":${quote(ctx.hostName)}},"container":${JSON.stringify(ctx.metadata.container)}${service}`,
    keyJson: quote(ctx.containerId),
    prefixes: {
      stdout: streamIdPrefix(ctx.hostName, 'docker', ctx.containerId, 'stdout'),
      stderr: streamIdPrefix(ctx.hostName, 'docker', ctx.containerId, 'stderr'),
    },
  };
  containerParts.set(ctx.metadata, parts);
  return parts;
}

/**
 * The spool record of a line or merged run, written directly as canonical
 * JSON (pipeline/event-json.ts) with no event object per line: the first
 * line's time, position and id, every line's text. The container's fields are encoded once per metadata version.
 */
export function containerRecord(ctx: EventContext, out: OutLine): string {
  const { first } = out;
  const parts = partsOf(ctx);
  const position = quote(first.stamp.text);
  const id = stampId(parts.prefixes[first.stream], first.stamp.ns, first.seq);
  let record = `{"@timestamp":${position},"event":{"dataset":"docker.container_logs"},"shiplog":{"id":"${id}","origin":{"source":"docker","key":${parts.keyJson},"position":${position},"seq":${first.seq}}`;
  if (out.partial) record += ',"partial":true';
  if (out.truncated) record += ',"truncated":true';
  if (out.lineCount > 1) record += `,"multiline":${out.lineCount}`;
  return flat(`${record}},"message":${quote(out.message)},"log":{"stream":"${first.stream}"}${parts.tail}}`);
}

/**
 * The mergers of one follower (stdout, stderr) and their flush timer. The
 * timer calls `onDue`; the follower then takes `flushDue()` (which yields
 * nothing while reading is paused by backpressure: the continuation of a
 * trace may be waiting in the socket).
 */
export class ContainerMerge {
  readonly #config: MultilineConfig;
  readonly #flushAfterMs: number;
  readonly #onDue: () => void;
  #mergers: Record<StreamName, LineMerger<LineInfo>>;
  /** The marks of the lines pushed so far (the follower's cursor covers only lines handed on). */
  #pushed = new Cursor();
  #timer: NodeJS.Timeout | undefined;
  #paused = false;
  #notBefore = 0;
  #closed = false;

  constructor(config: MultilineConfig, onDue: () => void) {
    this.#config = config;
    this.#flushAfterMs = parseDuration(config.flush_after);
    this.#onDue = onDue;
    this.#mergers = this.#fresh();
  }

  /** Forgets every held line (they will be read again) and counts on from `handedOn`. */
  reset(handedOn: Cursor): void {
    this.#mergers = this.#fresh();
    this.#pushed = handedOn.clone();
    this.#disarm();
  }

  push(line: Line, seq: number, now: number): OutLine[] {
    this.#pushed.advance(line.stream, line.stamp);
    const mark = this.#pushed.mark(line.stream) as Mark;
    const bytes = line.bytes.length;
    const meta: LineInfo = { stream: line.stream, stamp: line.stamp, seq, mark, partial: line.partial, bytes };
    const input = { text: line.bytes.toString('utf8'), meta, bytes, truncated: line.truncated };
    return this.#mergers[line.stream].push(input, now).map(fromMerged);
  }

  /** What waited flush_after without a continuation; nothing while paused. */
  flushDue(now: number): OutLine[] {
    if (this.#paused || now < this.#notBefore) return [];
    return STREAMS.flatMap((stream) => this.#mergers[stream].flushDue(now).map(fromMerged));
  }

  /** Everything held: the container's stream ended, or the follower stops. */
  flushAll(): OutLine[] {
    this.#disarm();
    return STREAMS.flatMap((stream) => this.#mergers[stream].flushAll().map(fromMerged));
  }

  /** Per stream, the stamp of the first line held: the resume point must include it. */
  pending(): Partial<Record<StreamName, bigint>> {
    const pending: Partial<Record<StreamName, bigint>> = {};
    for (const stream of STREAMS) {
      const first = this.#mergers[stream].pendingFirst();
      if (first) pending[stream] = first.stamp.ns;
    }
    return pending;
  }

  /** Reading waits for room in the in-flight window: no flush by time meanwhile. */
  pause(): void {
    this.#paused = true;
  }

  /** Reading goes on: what is held gets flush_after from now for its continuation to arrive. */
  resume(now: number): void {
    this.#paused = false;
    this.#notBefore = now + this.#flushAfterMs;
    this.arm();
  }

  /** Sets the flush timer for the earliest deadline, unless one is set (it fires no later). */
  arm(): void {
    if (this.#timer || this.#closed) return;
    let at: number | undefined;
    for (const stream of STREAMS) {
      const deadline = this.#mergers[stream].nextDeadline();
      if (deadline !== undefined && (at === undefined || deadline < at)) at = deadline;
    }
    if (at === undefined) return;
    at = Math.max(at, this.#notBefore);
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#onDue();
      },
      Math.max(0, at - Date.now()) + 1,
    );
    this.#timer.unref();
  }

  /** No more timers (the follower stops). */
  close(): void {
    this.#closed = true;
    this.#disarm();
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #fresh(): Record<StreamName, LineMerger<LineInfo>> {
    return { stdout: createLineMerger<LineInfo>(this.#config), stderr: createLineMerger<LineInfo>(this.#config) };
  }
}

/** Per stream, the earliest of several stamps. */
export function earliest(...maps: Array<Partial<Record<StreamName, bigint>>>): Partial<Record<StreamName, bigint>> {
  const out: Partial<Record<StreamName, bigint>> = {};
  for (const stream of STREAMS) {
    let first: bigint | undefined;
    for (const map of maps) first = earlier(first, map[stream]);
    if (first !== undefined) out[stream] = first;
  }
  return out;
}
