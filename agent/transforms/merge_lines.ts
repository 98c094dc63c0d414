// Multiline merge: joins the lines of a stack trace, a traceback or a panic
// into one event (mode auto, grammar in pipeline/multiline-auto.ts), or every
// line that does not match start_pattern onto the line before it (mode
// pattern). One merger holds the state of one stream; the caller keys
// mergers (file, container + stream).
// Pure and synchronous with an explicit clock, so both sources and the tests
// drive it the same way. Every line that goes in comes out exactly once, in
// order: the caps split or cut an event, never drop a line.
import { CodedError } from '../../core/coded-error.ts';
import { parseBytes, parseDuration } from '../../core/units.ts';
import type { MultilineConfig } from '../../schemas/agent-config.ts';
import { agentErrors } from '../errors.ts';
import { type AutoState, autoNext, autoOpens } from '../pipeline/multiline-auto.ts';

export interface MergeInput<M> {
  text: string;
  /** Opaque to the merger (e.g. the line's byte offsets); handed back on the event. */
  meta: M;
  /** UTF-8 length of text, when the caller knows it already. */
  bytes?: number;
  /** The line itself was already cut at a cap upstream. */
  truncated?: boolean;
}

export interface MergedEvent<M> {
  text: string;
  /** Meta of the first line: the event's position and timestamp come from it. */
  firstMeta: M;
  /** Meta of the last line: a checkpoint may advance past this line once the event is acknowledged. */
  lastMeta: M;
  lineCount: number;
  /** Cut at max_bytes (or a line was cut upstream). */
  truncated: boolean;
}

export interface LineMerger<M> {
  /** Adds a line; returns the events that it completed (possibly none). */
  push(line: MergeInput<M>, now: number): MergedEvent<M>[];
  /** Emits what has waited flush_after since its last line. */
  flushDue(now: number): MergedEvent<M>[];
  /** Emits everything held (end of input, shutdown). */
  flushAll(): MergedEvent<M>[];
  /** When flushDue next has something to emit. */
  nextDeadline(): number | undefined;
  /** Meta of the earliest line still held: a checkpoint must not pass its start. */
  pendingFirst(): M | undefined;
  /** Whether the merger is in a state a fresh one is not: holding lines, or inside a dump. */
  busy(): boolean;
}

type Mode = 'off' | 'auto' | 'pattern';
// The grammar a held event is in: one of auto's (pipeline/multiline-auto.ts),
// or 'pattern'; 'none' when nothing can continue.
type State = AutoState | 'pattern';

interface Settings {
  mode: Mode;
  start: RegExp | undefined;
  flushAfterMs: number;
  maxLines: number;
  maxBytes: number;
}

const MAX_HELD_BLANKS = 8;

const settingsCache = new WeakMap<MultilineConfig, Settings>();

function settingsOf(config: MultilineConfig): Settings {
  let settings = settingsCache.get(config);
  if (settings) return settings;
  let start: RegExp | undefined;
  if (config.mode === 'pattern') {
    if (!config.start_pattern) {
      throw new CodedError(agentErrors.MULTILINE_PATTERN_INVALID, {
        pattern: '(none)',
        detail: 'mode pattern needs it',
      });
    }
    try {
      start = new RegExp(config.start_pattern);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new CodedError(agentErrors.MULTILINE_PATTERN_INVALID, { pattern: config.start_pattern, detail });
    }
  }
  settings = {
    mode: config.mode,
    start,
    flushAfterMs: parseDuration(config.flush_after),
    maxLines: config.max_lines,
    maxBytes: parseBytes(config.max_bytes),
  };
  settingsCache.set(config, settings);
  return settings;
}

/** The longest prefix of text that fits in maxBytes of UTF-8, never splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.toString('utf8', 0, end);
}

/** A line on its own as an event, cut at maxBytes. */
function singleEvent<M>(line: MergeInput<M>, maxBytes: number): MergedEvent<M> {
  // Most lines are short: no UTF-8 character takes more than 3 UTF-16 units' worth of bytes.
  const cut = line.text.length * 3 > maxBytes && (line.bytes ?? Buffer.byteLength(line.text)) > maxBytes;
  return {
    text: cut ? cutUtf8(line.text, maxBytes) : line.text,
    firstMeta: line.meta,
    lastMeta: line.meta,
    lineCount: 1,
    truncated: cut || line.truncated === true,
  };
}

/**
 * What a fresh merger (one that is not busy) would do with a line: undefined
 * when it would hold the line (it may open a dump), else the event it would
 * emit. A caller with many streams keeps mergers only for busy ones and sends
 * every other line through this, which is what a fresh merger would do anyway.
 * `standsAlone` is the allocation-free test: the line goes out on its own,
 * unchanged (a fresh merger would neither hold nor cut it).
 */
export function createFreshLine<M>(config: MultilineConfig): {
  standsAlone(text: string): boolean;
  single(line: MergeInput<M>): MergedEvent<M> | undefined;
} {
  const { mode, maxBytes } = settingsOf(config);
  return {
    standsAlone: (text) => text.length * 3 <= maxBytes && opensDump(mode, text) === 'none',
    single: (line) => (opensDump(mode, line.text) === 'none' ? singleEvent(line, maxBytes) : undefined),
  };
}

/** The grammar a line opens in a stream that is in none, or 'none' when it stands alone. */
function opensDump(mode: Mode, text: string): State {
  if (mode === 'pattern') return 'pattern';
  if (mode === 'off') return 'none';
  return autoOpens(text);
}

/** A merger for one stream; the config is compiled once and shared between streams. */
export function createLineMerger<M>(config: MultilineConfig): LineMerger<M> {
  const settings = settingsOf(config);
  const { mode, maxLines, maxBytes, flushAfterMs } = settings;

  let state: State = 'none';
  let parts: string[] = [];
  let lines = 0;
  let bytes = 0;
  let truncated = false;
  let firstMeta: M | undefined;
  let lastMeta: M | undefined;
  let lastAt = 0;
  // Blank lines inside a Python or Go dump are held here until the next line
  // shows whether the dump goes on; if not, they leave as events of their own.
  let blanks: MergeInput<M>[] = [];

  const single = (line: MergeInput<M>): MergedEvent<M> => singleEvent(line, maxBytes);

  const append = (line: MergeInput<M>): void => {
    const size = line.bytes ?? Buffer.byteLength(line.text);
    const separator = lines === 0 ? 0 : 1;
    if (bytes + separator + size > maxBytes) {
      // Keep what fits; later lines still count (and move lastMeta) but add no text.
      const room = maxBytes - bytes - separator;
      if (!truncated && room > 0) parts.push(cutUtf8(line.text, room));
      bytes = maxBytes;
      truncated = true;
    } else if (!truncated) {
      parts.push(line.text);
      bytes += separator + size;
    }
    if (line.truncated) truncated = true;
    if (lines === 0) firstMeta = line.meta;
    lastMeta = line.meta;
    lines++;
  };

  /** The held event (if any) as an event, leaving the state as it is. */
  const take = (out: MergedEvent<M>[]): void => {
    if (lines === 0 || firstMeta === undefined || lastMeta === undefined) return;
    out.push({
      text: parts.length === 1 ? (parts[0] ?? '') : parts.join('\n'),
      firstMeta,
      lastMeta,
      lineCount: lines,
      truncated,
    });
    parts = [];
    lines = 0;
    bytes = 0;
    truncated = false;
    firstMeta = undefined;
    lastMeta = undefined;
  };

  /** Ends the current dump: the held event, then any held blank lines on their own. */
  const finish = (out: MergedEvent<M>[]): void => {
    take(out);
    for (const blank of blanks) out.push(single(blank));
    blanks = [];
    state = 'none';
  };

  /** Whether a line continues the held dump: 'join', 'hold' (a blank line, undecided) or 'break'. */
  const classify = (text: string): 'join' | 'hold' | 'break' => {
    const blank = text.trim() === '';
    const afterBlank = blanks.length > 0;
    if (blank && blanks.length >= MAX_HELD_BLANKS) return 'break';
    if (state === 'pattern') return settings.start?.test(text) ? 'break' : 'join';
    const next = autoNext(state, text, blank, afterBlank);
    if (next === 'hold' || next === 'break') return next;
    state = next;
    return 'join';
  };

  const opens = (text: string): State => opensDump(mode, text);

  const push = (line: MergeInput<M>, now: number): MergedEvent<M>[] => {
    const out: MergedEvent<M>[] = [];
    const verdict = classify(line.text);
    if (verdict === 'hold') {
      blanks.push(line);
    } else if (verdict === 'join') {
      for (const blank of blanks) append(blank);
      blanks = [];
      append(line);
    } else {
      finish(out);
      state = opens(line.text);
      if (state === 'none') out.push(single(line));
      else append(line);
    }
    // The line cap splits a long dump; the grammar state stays, so the rest
    // of the dump continues in the next event instead of being scattered.
    if (lines >= maxLines) take(out);
    lastAt = now;
    return out;
  };

  const held = (): boolean => lines > 0 || blanks.length > 0;

  return {
    push,
    flushDue(now) {
      const out: MergedEvent<M>[] = [];
      if (held() && now - lastAt >= flushAfterMs) finish(out);
      return out;
    },
    flushAll() {
      const out: MergedEvent<M>[] = [];
      finish(out);
      return out;
    },
    nextDeadline() {
      return held() ? lastAt + flushAfterMs : undefined;
    },
    pendingFirst() {
      return lines > 0 ? firstMeta : blanks[0]?.meta;
    },
    busy() {
      return state !== 'none' || held();
    },
  };
}
