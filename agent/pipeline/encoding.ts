// A line (or a merged run of lines) as a spool record: the canonical JSON of
// event-json.ts, written straight from the parse result, because building a
// LogEvent object per line and then serialising it was most of the file
// source's cost. The id comes from the stream's identity and the position of
// the (first) line in it, so reading the same bytes again yields the same id
// and Elasticsearch stores it once.
import type { ParsedSyslog } from '../parsers/syslog.ts';
import { TIME_FROM_RECEIPT_TAG } from '../parsers/syslog.ts';
import type { MergedEvent } from '../transforms/merge_lines.ts';
import { offsetId, streamIdPrefix } from './event-id.ts';
import { flat, processJson, quote, syslogJson } from './event-json.ts';

/** One line or received message, as a source hands it to the stage. */
export interface LineInput {
  /** Its position in the stream: a byte offset, or a message ordinal. */
  start: number;
  /** The text, cut at the size cap; bytes that are not UTF-8 replaced with U+FFFD. */
  text: string;
  truncated: boolean;
  invalidUtf8: boolean;
  /** The exact bytes when they are not UTF-8: kept in event.original (base64). */
  raw?: Buffer;
}

/** What the merger carries for each line: its stream, the line, and what the parser made of it. */
export interface LineMeta<S> {
  stream: S;
  record: LineInput;
  parsed: ParsedSyslog;
}

/** What is the same for every event of one stream. */
export interface StreamParts {
  /** The origin key (a file identity, a connection). */
  readonly key: string;
  readonly source: 'file' | 'syslog';
  /** Members of the `log` object before `syslog`, each with a leading comma (`,"file":{...}`), or ''. */
  readonly logMembers: string;
  /** Top-level members after `host` (`,"source":{...}`), or ''. */
  readonly after: string;
  /** Anything the source wants to compare the next time (a file's path). */
  readonly tag?: string;
}

export const INVALID_UTF8_TAG = 'invalid_utf8';

interface Cached {
  parts: StreamParts;
  idPrefix: string;
  /** `"origin":{"source":...,"key":...,"position":"` */
  originHead: string;
  logHead: string;
}

/** Encodes lines as records; one per stage (it caches per stream). */
export class StreamEncoder<S extends object> {
  readonly #hostName: string;
  readonly #hostPart: string;
  readonly #partsOf: (stream: S, cached: StreamParts | undefined) => StreamParts;
  readonly #cache = new WeakMap<S, Cached>();
  #lastStream: S | undefined;
  #lastCached: Cached | undefined;

  constructor(hostName: string, partsOf: (stream: S, cached: StreamParts | undefined) => StreamParts) {
    this.#hostName = hostName;
    this.#hostPart = `,"host":{"name":${quote(hostName)}}`;
    this.#partsOf = partsOf;
  }

  partsOf(stream: S): StreamParts {
    return this.#cached(stream).parts;
  }

  /** One line that is its own event. */
  line(meta: LineMeta<S>): string {
    const { record } = meta;
    return this.#encode(meta, meta.parsed.message, record.truncated, 1, record.invalidUtf8, record.raw);
  }

  /** A merged event: the first line's time and fields, every line's text. */
  merged(merged: MergedEvent<LineMeta<S>>): string {
    const first = merged.firstMeta;
    const invalidUtf8 = first.record.invalidUtf8 || merged.lastMeta.record.invalidUtf8;
    // The exact bytes of a single line only: a merged event keeps its text.
    const raw = merged.lineCount === 1 ? first.record.raw : undefined;
    return this.#encode(first, merged.text, merged.truncated, merged.lineCount, invalidUtf8, raw);
  }

  #encode(
    meta: LineMeta<S>,
    message: string,
    truncated: boolean,
    lineCount: number,
    invalidUtf8: boolean,
    raw: Buffer | undefined,
  ): string {
    const cached = this.#cached(meta.stream);
    const { parsed } = meta;
    const start = meta.record.start;
    // The parser writes the timestamp itself (digits, '-', ':', 'T', '.', 'Z'): nothing to escape.
    let out = `{"@timestamp":"${parsed['@timestamp']}","event":{"dataset":"system.syslog"`;
    if (raw !== undefined) out += `,"original":"${raw.toString('base64')}"`;
    out += `},"shiplog":{"id":"${offsetId(cached.idPrefix, start)}",${cached.originHead}${start}","seq":0}`;
    if (truncated) out += ',"truncated":true';
    if (lineCount > 1) out += `,"multiline":${lineCount}`;
    if (parsed.parse_failure !== undefined) out += `,"parse_failure":${quote(parsed.parse_failure)}`;
    out += `},"message":${quote(message)}`;
    if (invalidUtf8 || parsed.time_from_receipt) {
      const tags: string[] = [];
      if (invalidUtf8) tags.push(`"${INVALID_UTF8_TAG}"`);
      if (parsed.time_from_receipt) tags.push(`"${TIME_FROM_RECEIPT_TAG}"`);
      out += `,"tags":[${tags.join(',')}]`;
    }
    if (cached.logHead !== '' || parsed.syslog !== undefined) {
      let log = cached.logHead;
      if (parsed.syslog !== undefined) log += `,"syslog":${syslogJson(parsed.syslog)}`;
      out += `,"log":{${log.slice(1)}}`;
    }
    out += this.#hostPart + cached.parts.after;
    if (parsed.process !== undefined) out += `,"process":${processJson(parsed.process)}`;
    return flat(`${out}}`);
  }

  #cached(stream: S): Cached {
    // Lines come in runs from one stream (a chunk of a file, of a connection).
    let cached = stream === this.#lastStream ? this.#lastCached : this.#cache.get(stream);
    const parts = this.#partsOf(stream, cached?.parts);
    if (cached === undefined || cached.parts !== parts) {
      cached = {
        parts,
        idPrefix: streamIdPrefix(this.#hostName, parts.source, parts.key),
        originHead: `"origin":{"source":"${parts.source}","key":${quote(parts.key)},"position":"`,
        logHead: parts.logMembers,
      };
      this.#cache.set(stream, cached);
    }
    this.#lastStream = stream;
    this.#lastCached = cached;
    return cached;
  }
}
