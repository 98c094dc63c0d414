// A line (or a merged run of lines) of a tailed file as a LogEvent. The id
// comes from the identity and the byte offset of the (first) line, so reading
// the same bytes again yields the same id and Elasticsearch stores it once.
import type { ParsedSyslog } from '../../parsers/syslog.ts';
import { eventId } from '../../pipeline/event-id.ts';
import type { LogEvent } from '../../pipeline/types.ts';
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

export function toEvent(
  hostName: string,
  meta: LineMeta,
  message: string,
  flags: { truncated: boolean; lineCount: number; invalidUtf8: boolean },
): LogEvent {
  const { cursor, record, parsed } = meta;
  const origin: LogEvent['shiplog']['origin'] = {
    source: 'file',
    key: cursor.entry.key,
    position: String(record.start),
    seq: 0,
  };
  const shiplog: LogEvent['shiplog'] = { id: eventId(hostName, origin), origin };
  if (flags.truncated) shiplog.truncated = true;
  if (flags.lineCount > 1) shiplog.multiline = flags.lineCount;
  if (parsed.parse_failure !== undefined) shiplog.parse_failure = parsed.parse_failure;
  const log: NonNullable<LogEvent['log']> = { file: { path: cursor.path } };
  if (parsed.syslog) log.syslog = parsed.syslog;
  const event: LogEvent = {
    '@timestamp': parsed['@timestamp'],
    message,
    event: { dataset: 'system.syslog' },
    log,
    host: { name: hostName },
    shiplog,
  };
  if (parsed.process) event.process = parsed.process;
  if (flags.invalidUtf8) event.tags = [INVALID_UTF8_TAG];
  return event;
}

/** One line that is its own event. */
export function lineEvent(hostName: string, meta: LineMeta): LogEvent {
  return toEvent(hostName, meta, meta.parsed.message, {
    truncated: meta.record.truncated,
    lineCount: 1,
    invalidUtf8: meta.record.invalidUtf8,
  });
}

/** A merged event: the first line's time and fields, every line's text. */
export function mergedEvent(hostName: string, merged: MergedEvent<LineMeta>): LogEvent {
  return toEvent(hostName, merged.firstMeta, merged.text, {
    truncated: merged.truncated,
    lineCount: merged.lineCount,
    invalidUtf8: merged.firstMeta.record.invalidUtf8 || merged.lastMeta.record.invalidUtf8,
  });
}
