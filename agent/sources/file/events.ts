// A line (or a merged run of lines) of a tailed file as a spool record: the
// canonical JSON of pipeline/event-json.ts, written straight from the parse
// result, because building a LogEvent object per line and then serialising it
// was most of the file source's cost. The id comes from the identity and the
// byte offset of the (first) line, so reading the same bytes again yields the
// same id and Elasticsearch stores it once.
import type { ParsedSyslog } from '../../parsers/syslog.ts';
import { offsetId, streamIdPrefix } from '../../pipeline/event-id.ts';
import { flat, processJson, quote, syslogJson } from '../../pipeline/event-json.ts';
import type { MergedEvent } from '../../transforms/merge_lines.ts';
import type { LineRecord } from './reader.ts';
import type { Cursor } from './tracker.ts';

/** What the merger carries for each line: where it is and what the parser made of it. */
export interface LineMeta {
  cursor: Cursor;
  record: LineRecord;
  parsed: ParsedSyslog;
}

export const INVALID_UTF8_TAG = 'invalid_utf8';

/** The parts of a record that are the same for every line of one file identity. */
interface FileParts {
  key: string;
  path: string;
  idPrefix: string;
  /** `"origin":{"source":"file","key":...,"position":"` */
  originHead: string;
  /** `,"log":{"file":{"path":...}` (the log object left open for syslog). */
  logHead: string;
}

/** Encodes a file's lines as records; one per source (it caches per identity). */
export class FileEventEncoder {
  readonly #hostName: string;
  readonly #hostPart: string;
  readonly #parts = new WeakMap<Cursor, FileParts>();

  constructor(hostName: string) {
    this.#hostName = hostName;
    this.#hostPart = `,"host":{"name":${quote(hostName)}}`;
  }

  /** One line that is its own event. */
  line(meta: LineMeta): string {
    return this.#encode(meta, meta.parsed.message, meta.record.truncated, 1, meta.record.invalidUtf8);
  }

  /** A merged event: the first line's time and fields, every line's text. */
  merged(merged: MergedEvent<LineMeta>): string {
    const first = merged.firstMeta;
    const invalidUtf8 = first.record.invalidUtf8 || merged.lastMeta.record.invalidUtf8;
    return this.#encode(first, merged.text, merged.truncated, merged.lineCount, invalidUtf8);
  }

  #encode(meta: LineMeta, message: string, truncated: boolean, lineCount: number, invalidUtf8: boolean): string {
    const parts = this.#partsOf(meta.cursor);
    const { parsed } = meta;
    const start = meta.record.start;
    // The parser writes the timestamp itself (digits, '-', ':', 'T', '.', 'Z'): nothing to escape.
    let out = `{"@timestamp":"${parsed['@timestamp']}","event":{"dataset":"system.syslog"},"shiplog":{"id":"${offsetId(parts.idPrefix, start)}",${parts.originHead}${start}","seq":0}`;
    if (truncated) out += ',"truncated":true';
    if (lineCount > 1) out += `,"multiline":${lineCount}`;
    if (parsed.parse_failure !== undefined) out += `,"parse_failure":${quote(parsed.parse_failure)}`;
    out += `},"message":${quote(message)}`;
    if (invalidUtf8) out += `,"tags":["${INVALID_UTF8_TAG}"]`;
    out += parts.logHead;
    if (parsed.syslog !== undefined) out += `,"syslog":${syslogJson(parsed.syslog)}`;
    out += `}${this.#hostPart}`;
    if (parsed.process !== undefined) out += `,"process":${processJson(parsed.process)}`;
    return flat(`${out}}`);
  }

  #partsOf(cursor: Cursor): FileParts {
    const key = cursor.entry.key;
    let parts = this.#parts.get(cursor);
    // A cursor keeps its identity; its path changes when the file is renamed.
    if (parts === undefined || parts.key !== key || parts.path !== cursor.path) {
      parts = {
        key,
        path: cursor.path,
        idPrefix: streamIdPrefix(this.#hostName, 'file', key),
        originHead: `"origin":{"source":"file","key":${quote(key)},"position":"`,
        logHead: `,"log":{"file":{"path":${quote(cursor.path)}}`,
      };
      this.#parts.set(cursor, parts);
    }
    return parts;
  }
}
