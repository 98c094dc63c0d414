// The one parse → multiline → encode stage that every syslog-shaped input
// goes through: the file source, the syslog listener and `shiplog ship`.
// A source hands in lines (or received messages) with their position in a
// stream of its own (a file identity, a TCP connection, a UDP sender); the
// stage parses each with the syslog parser, joins stack traces per stream
// and process (merging.ts), and writes each event straight as its spool
// record (encoding.ts). A source keeps only what is its own: reading,
// positions and checkpoints.
import type { MultilineConfig } from '../../schemas/agent-config.ts';
import { createSyslogParser, type ParsedSyslog, type SyslogParser } from '../parsers/syslog.ts';
import { type LineInput, type LineMeta, StreamEncoder, type StreamParts } from './encoding.ts';
import { StreamMerge } from './merging.ts';

export type { LineInput, LineMeta, StreamParts } from './encoding.ts';
export { INVALID_UTF8_TAG } from './encoding.ts';

export interface LineStageOptions<S extends object> {
  hostName: string;
  /** Zone of timestamps without an offset (RFC 3164): 'local' or an IANA name. Throws RangeError if unknown. */
  timezone: string;
  /** Multiline merge; undefined or mode 'off' sends every line alone. */
  multiline?: MultilineConfig;
  /**
   * What is constant for a stream's events (its identity, origin and the
   * fields it adds). Called with the parts computed last time for that
   * stream: return them again while they still hold.
   */
  parts: (stream: S, cached: StreamParts | undefined) => StreamParts;
}

export class LineStage<S extends object> {
  readonly #parse: SyslogParser;
  readonly #encoder: StreamEncoder<S>;
  readonly #merge: StreamMerge<S> | undefined;

  constructor(options: LineStageOptions<S>) {
    this.#parse = createSyslogParser({ timezone: options.timezone });
    this.#encoder = new StreamEncoder(options.hostName, options.parts);
    const multiline = options.multiline;
    this.#merge =
      multiline && multiline.mode !== 'off'
        ? new StreamMerge(multiline, this.#encoder, (stream) => this.#encoder.partsOf(stream).key)
        : undefined;
  }

  /** Whether lines may be held back (multiline merge is on). */
  get merging(): boolean {
    return this.#merge !== undefined;
  }

  /** Parses a line read (or received) at `readTimeMs`. */
  parse(stream: S, record: LineInput, readTimeMs: number): LineMeta<S> {
    const parsed: ParsedSyslog = this.#parse(record.text, readTimeMs);
    return { stream, record, parsed };
  }

  /** Adds a parsed line; the records of the events it completed go onto `out`. `clock` drives flush_after. */
  push(meta: LineMeta<S>, clock: number, out: string[]): void {
    if (this.#merge) this.#merge.push(meta, clock, out);
    else out.push(this.#encoder.line(meta));
  }

  /** parse and push with one clock. */
  add(stream: S, record: LineInput, now: number, out: string[]): void {
    this.push(this.parse(stream, record, now), now, out);
  }

  /** Emits what waited flush_after. */
  flushDue(clock: number, out: string[]): void {
    this.#merge?.flushDue(clock, out);
  }

  /** Emits everything held (end of input, shutdown). */
  flushAll(out: string[]): void {
    this.#merge?.flushAll(out);
  }

  /** Emits what one stream holds (its connection closed). */
  flushStream(stream: S, out: string[]): void {
    this.#merge?.flushStream(stream, out);
  }

  /** Per stream, the start of its first line still held: no checkpoint may pass it. */
  heldStarts(): Map<S, number> {
    return this.#merge?.heldStarts() ?? new Map<S, number>();
  }

  /** When flushDue next has something to emit. */
  nextDeadline(): number | undefined {
    return this.#merge?.nextDeadline();
  }
}
