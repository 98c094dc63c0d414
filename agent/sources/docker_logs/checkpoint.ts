// Where to resume a container's logs, and which replayed lines to skip.
//
// Docker replays with `since=<seconds.nanoseconds>` (inclusive) every message
// stamped at or after that time, in the order the log driver stored them.
// stdout and stderr are stamped by separate goroutines, so across streams the
// stored order is not the time order (vector#19105): a stderr line stamped a
// little before the last stdout line can be stored after it. A single "last
// timestamp" would lose such a line on resume. So the checkpoint keeps, per
// stream, the timestamp of the last acknowledged line and how many lines of
// that stream shared it (within one stream the stamps never go back), and
// resumes from a time early enough for every line not yet acknowledged:
//
// - a stream with a line in flight or a partial line pending resumes at that
//   line's stamp (the fragments of a long line all carry its first stamp);
// - any other stream at its last acknowledged stamp, but never later than
//   REORDER_WINDOW before the newest acknowledged stamp, since a line can be
//   stored after lines stamped up to that much later than itself.
//
// Replayed lines at or before a stream's mark are skipped; after the first
// line past its mark a stream never skips again.
import { formatSince, parseStamp, type Stamp, type StreamName } from './lines.ts';

export const STREAMS: readonly StreamName[] = ['stdout', 'stderr'];

/** How far apart in time two lines can be stamped and still be stored in the other order. */
export const REORDER_WINDOW_NS = 5_000_000_000n;

export interface StreamMark {
  /** Timestamp of the last line, exactly as Docker gave it. */
  readonly ts: string;
  /** How many lines of this stream carried that timestamp, up to and including the last. */
  readonly n: number;
}

/** What the state store keeps per container. */
export interface ContainerCheckpoint {
  /** Docker's `since` to resume with: "seconds.nanoseconds". */
  readonly since: string;
  readonly stdout?: StreamMark;
  readonly stderr?: StreamMark;
}

/** A stream's last line: its stamp, and how many lines of the stream carried it. */
export interface Mark {
  readonly stamp: Stamp;
  readonly n: number;
}

/** The lines handed on (or acknowledged) so far, per stream. */
export class Cursor {
  #marks: Partial<Record<StreamName, Mark>> = {};
  #newest: bigint | undefined;

  static from(checkpoint: ContainerCheckpoint | undefined): Cursor {
    const cursor = new Cursor();
    for (const stream of STREAMS) {
      const mark = checkpoint?.[stream];
      const stamp = mark ? parseStamp(mark.ts) : undefined;
      if (!mark || !stamp) continue;
      cursor.#marks[stream] = { stamp, n: mark.n };
      if (cursor.#newest === undefined || stamp.ns > cursor.#newest) cursor.#newest = stamp.ns;
    }
    return cursor;
  }

  get empty(): boolean {
    return this.#newest === undefined;
  }

  advance(stream: StreamName, stamp: Stamp): void {
    const mark = this.#marks[stream];
    this.#marks[stream] = { stamp, n: mark && mark.stamp.text === stamp.text ? mark.n + 1 : 1 };
    if (this.#newest === undefined || stamp.ns > this.#newest) this.#newest = stamp.ns;
  }

  /** The stream's mark, if any of its lines is covered. */
  mark(stream: StreamName): Mark | undefined {
    return this.#marks[stream];
  }

  /** Moves a stream's mark to one taken from another cursor over the same lines (multiline merge). */
  setMark(stream: StreamName, mark: Mark): void {
    this.#marks[stream] = mark;
    if (this.#newest === undefined || mark.stamp.ns > this.#newest) this.#newest = mark.stamp.ns;
  }

  clone(): Cursor {
    const copy = new Cursor();
    copy.#marks = { ...this.#marks };
    copy.#newest = this.#newest;
    return copy;
  }

  /**
   * Docker's `since` (nanoseconds) from which a replay holds every line not
   * covered by this cursor; undefined means from the beginning.
   * @param unfinished per stream, the stamp of the first line not covered (in flight or pending)
   * @param streams the streams the container has (a TTY container only stdout)
   */
  resumeAt(
    unfinished: Partial<Record<StreamName, bigint>> = {},
    streams: readonly StreamName[] = STREAMS,
    window = REORDER_WINDOW_NS,
  ): bigint | undefined {
    const newest = this.#newest;
    if (newest === undefined) return undefined;
    let since: bigint | undefined;
    for (const stream of streams) {
      const mark = this.#marks[stream]?.stamp.ns;
      let bound = newest - window;
      if (mark !== undefined && mark > bound) bound = mark;
      const first = unfinished[stream];
      if (first !== undefined && first < bound) bound = first;
      if (since === undefined || bound < since) since = bound;
    }
    return since === undefined || since < 0n ? 0n : since;
  }

  /** The checkpoint to store: these marks, resumed from `since` (see resumeAt). */
  checkpoint(since: bigint): ContainerCheckpoint {
    const checkpoint: { since: string; stdout?: StreamMark; stderr?: StreamMark } = { since: formatSince(since) };
    for (const stream of STREAMS) {
      const mark = this.#marks[stream];
      if (mark) checkpoint[stream] = { ts: mark.stamp.text, n: mark.n };
    }
    return checkpoint;
  }

  /** A skipper for a replay that starts from this cursor. */
  skipper(): Skipper {
    return new Skipper(this.#marks);
  }
}

/** Decides, line by line of a replay, whether a line was already handed on. */
export class Skipper {
  readonly #left: Partial<Record<StreamName, { ns: bigint; n: number; seen: number }>> = {};

  constructor(marks: Partial<Record<StreamName, Mark>>) {
    for (const stream of STREAMS) {
      const mark = marks[stream];
      if (mark) this.#left[stream] = { ns: mark.stamp.ns, n: mark.n, seen: 0 };
    }
  }

  skip(stream: StreamName, stamp: Stamp): boolean {
    const left = this.#left[stream];
    if (!left) return false;
    if (stamp.ns < left.ns) return true;
    if (stamp.ns === left.ns && left.seen < left.n) {
      left.seen++;
      return true;
    }
    this.#left[stream] = undefined;
    return false;
  }
}

/**
 * The `seq` of an event id: the ordinal of a line among the container's lines
 * with the same timestamp, both streams counted, in the order the API gives
 * them. A replay from any `since` at or before a stamp counts the same.
 */
export class SeqCounter {
  /** Recent stamps only: lines sharing a stamp arrive close together in API order. */
  readonly #counts = new Map<string, number>();

  next(stamp: Stamp): number {
    const count = this.#counts.get(stamp.text) ?? 0;
    this.#counts.set(stamp.text, count + 1);
    if (count === 0 && this.#counts.size > 256) {
      for (const text of this.#counts.keys()) {
        this.#counts.delete(text);
        if (this.#counts.size <= 128) break;
      }
    }
    return count;
  }
}

/** A checkpoint read back from the state store, or undefined when it is not one. */
export function parseCheckpoint(value: unknown): ContainerCheckpoint | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.since !== 'string' || !/^\d+\.\d{9}$/.test(record.since)) return undefined;
  const checkpoint: { since: string; stdout?: StreamMark; stderr?: StreamMark } = { since: record.since };
  for (const stream of STREAMS) {
    const mark = record[stream];
    if (mark === undefined) continue;
    if (typeof mark !== 'object' || mark === null) return undefined;
    const { ts, n } = mark as Record<string, unknown>;
    if (typeof ts !== 'string' || !parseStamp(ts) || typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      return undefined;
    }
    checkpoint[stream] = { ts, n };
  }
  return checkpoint;
}

/** Nanoseconds in Docker's "seconds.nanoseconds" form. */
export function sinceToNs(since: string): bigint {
  const [seconds = '0', nanos = '0'] = since.split('.');
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos.padEnd(9, '0').slice(0, 9));
}

/** The earlier of two optional times. */
export function earlier(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}
