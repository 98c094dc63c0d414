// Events as spool records: JSON with the keys in one fixed order, written by
// hand because JSON.stringify of a nested object per line was a fifth of the
// agent's time. The order is part of the record format: `@timestamp`, `event`
// and `shiplog` (with `id` first) lead, so the Elasticsearch sink can take the
// id and splice `event.ingested` into the bytes without parsing the record
// (see splitCanonical). The rest follows in schema order; a key the schema
// does not have is not written (the schema forbids them; a test holds every
// writer of events to it).
import type { LogEvent } from '../../schemas/log-event.ts';
import { FACILITY_NAMES, SEVERITY_NAMES } from '../parsers/syslog-5424.ts';

// A string needs JSON.stringify when it holds a quote, a backslash, a control
// character or a surrogate (a lone one must come out as \uXXXX).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A JSON string literal of `text`, equal to JSON.stringify(text). */
export function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * A record built by concatenation is a rope until something reads it whole;
 * the spool does so much later, when the pieces are out of the CPU cache, and
 * that cost a fifth of the file source's time. Reading it here, while they
 * are hot, makes it one flat string at once.
 */
export function flat(record: string): string {
  Buffer.byteLength(record);
  return record;
}

/** The record prefix every canonical event starts with. */
export const CANONICAL_PREFIX = '{"@timestamp":';

type Shiplog = LogEvent['shiplog'];
type Origin = Shiplog['origin'];
type Log = NonNullable<LogEvent['log']>;

/** `"origin":{...}` of shiplog, cacheable per source position key by the caller. */
export function originJson(origin: Origin): string {
  return `{"source":"${origin.source}","key":${quote(origin.key)},"position":${quote(origin.position)},"seq":${origin.seq}}`;
}

export function shiplogJson(shiplog: Shiplog, origin = originJson(shiplog.origin)): string {
  let out = `{"id":${quote(shiplog.id)},"origin":${origin}`;
  if (shiplog.partial !== undefined) out += `,"partial":${shiplog.partial}`;
  if (shiplog.truncated !== undefined) out += `,"truncated":${shiplog.truncated}`;
  if (shiplog.multiline !== undefined) out += `,"multiline":${shiplog.multiline}`;
  if (shiplog.parse_failure !== undefined) out += `,"parse_failure":${quote(shiplog.parse_failure)}`;
  return `${out}}`;
}

// `ingested` comes first: it is what the Elasticsearch sink splices in.
function eventPart(event: LogEvent['event']): string {
  let out = event.ingested === undefined ? '{' : `{"ingested":${quote(event.ingested)},`;
  out += `"dataset":${quote(event.dataset)}`;
  if (event.original !== undefined) out += `,"original":${quote(event.original)}`;
  return `${out}}`;
}

type Syslog = NonNullable<Log['syslog']>;

function codeName(part: { code: number; name?: string }): string {
  return part.name === undefined ? `{"code":${part.code}}` : `{"code":${part.code},"name":${quote(part.name)}}`;
}

/** `,"facility":...,"severity":...,"priority":N` by PRI, built once: a syslog event spent a tenth of its encoding here. */
const priorityParts: string[] = [];

function priorityJson(syslog: Syslog): string {
  const { facility, severity, priority } = syslog;
  let out: string | undefined;
  // Cached only in the shape the parser gives (withPriority): codes from PRI, names from its tables.
  const standard =
    priority !== undefined &&
    facility?.code === priority >> 3 &&
    severity?.code === (priority & 7) &&
    facility.name === FACILITY_NAMES[facility.code] &&
    severity.name === SEVERITY_NAMES[severity.code];
  if (standard) out = priorityParts[priority];
  if (out === undefined) {
    out = '';
    if (facility !== undefined) out += `,"facility":${codeName(facility)}`;
    if (severity !== undefined) out += `,"severity":${codeName(severity)}`;
    if (priority !== undefined) out += `,"priority":${priority}`;
    if (standard) priorityParts[priority] = out;
  }
  return out;
}

/** `log.syslog` in schema order. */
export function syslogJson(syslog: Syslog): string {
  let out = priorityJson(syslog);
  if (syslog.appname !== undefined) out += `,"appname":${quote(syslog.appname)}`;
  if (syslog.procid !== undefined) out += `,"procid":${quote(syslog.procid)}`;
  if (syslog.msgid !== undefined) out += `,"msgid":${quote(syslog.msgid)}`;
  if (syslog.hostname !== undefined) out += `,"hostname":${quote(syslog.hostname)}`;
  if (syslog.version !== undefined) out += `,"version":${syslog.version}`;
  if (syslog.structured_data !== undefined) out += `,"structured_data":${JSON.stringify(syslog.structured_data)}`;
  return `{${out.slice(1)}}`;
}

/** `source` (the sender of a received message) in schema order. */
export function sourceJson(ip: string, port: number | undefined): string {
  return port === undefined ? `{"ip":${quote(ip)}}` : `{"ip":${quote(ip)},"port":${port}}`;
}

/** `process` in schema order. */
export function processJson(process: NonNullable<LogEvent['process']>): string {
  if (process.name === undefined) return process.pid === undefined ? '{}' : `{"pid":${process.pid}}`;
  return process.pid === undefined
    ? `{"name":${quote(process.name)}}`
    : `{"name":${quote(process.name)},"pid":${process.pid}}`;
}

function logPart(log: Log): string {
  let out = '';
  if (log.level !== undefined) out += `,"level":${quote(log.level)}`;
  if (log.stream !== undefined) out += `,"stream":"${log.stream}"`;
  if (log.file !== undefined) out += `,"file":{"path":${quote(log.file.path)}}`;
  if (log.syslog !== undefined) out += `,"syslog":${syslogJson(log.syslog)}`;
  return `{${out.slice(1)}}`;
}

/**
 * The canonical JSON of an event (see the file comment). An object without
 * the parts every event has goes through JSON.stringify whole: a malformed
 * event is stored as it is, never dropped or half-written.
 */
export function eventJson(event: LogEvent): string {
  if (event.shiplog?.origin === undefined || event.event === undefined || event.host === undefined) {
    return JSON.stringify(event);
  }
  let out = `{"@timestamp":${quote(event['@timestamp'])},"event":${eventPart(event.event)},"shiplog":${shiplogJson(event.shiplog)},"message":${quote(event.message)}`;
  if (event.tags !== undefined) out += `,"tags":${JSON.stringify(event.tags)}`;
  if (event.log !== undefined) out += `,"log":${logPart(event.log)}`;
  out += `,"host":{"name":${quote(event.host.name)}}`;
  if (event.source !== undefined) out += `,"source":${sourceJson(event.source.ip, event.source.port)}`;
  if (event.container !== undefined) out += `,"container":${JSON.stringify(event.container)}`;
  if (event.service !== undefined) out += `,"service":{"name":${quote(event.service.name)}}`;
  if (event.process !== undefined) out += `,"process":${processJson(event.process)}`;
  if (event.labels !== undefined) out += `,"labels":${JSON.stringify(event.labels)}`;
  if (event.data_stream !== undefined) out += `,"data_stream":${JSON.stringify(event.data_stream)}`;
  return flat(`${out}}`);
}

/**
 * A canonical record split where the Elasticsearch sink needs it: the id,
 * the timestamp, and the record cut just inside the `event` object (so
 * `"ingested":...,` can go between `head` and `tail`). Undefined for a record
 * that is not canonical (written by an older version): decode it instead.
 */
export function splitCanonical(
  record: string,
): { id: string; timestamp: string; head: string; tail: string; eventHasIngested: boolean } | undefined {
  if (!record.startsWith(CANONICAL_PREFIX) || record.charCodeAt(CANONICAL_PREFIX.length) !== 0x22) return undefined;
  const stampEnd = record.indexOf('"', CANONICAL_PREFIX.length + 1);
  if (stampEnd < 0 || !record.startsWith(',"event":{', stampEnd + 1)) return undefined;
  const cut = stampEnd + 1 + ',"event":{'.length;
  const shiplogAt = record.indexOf('},"shiplog":{"id":"', cut);
  if (shiplogAt < 0) return undefined;
  const idStart = shiplogAt + '},"shiplog":{"id":"'.length;
  const idEnd = record.indexOf('"', idStart);
  if (idEnd < 0) return undefined;
  return {
    eventHasIngested: record.slice(cut, shiplogAt).includes('"ingested":'),
    id: record.slice(idStart, idEnd),
    timestamp: record.slice(CANONICAL_PREFIX.length + 1, stampEnd),
    head: record.slice(0, cut),
    tail: record.slice(cut),
  };
}
