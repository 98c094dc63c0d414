// Turns a spool record into one syslog message for the customer's SIEM:
// RFC 5424 with the container, the stream and shiplog's event id in
// structured data, or RFC 3164 for receivers that know nothing newer, framed
// for TCP/TLS by octet counting (RFC 6587 3.4.1, RFC 5425) or a line feed.
// Pure: unit-tested against the RFC grammar and read back by rsyslog in the
// integration test.
import type { LogEvent } from '../../../schemas/log-event.ts';
import { FACILITY_NAMES, SEVERITY_NAMES } from '../../parsers/syslog-5424.ts';

export interface MessageFormat {
  format: 'rfc5424' | 'rfc3164';
  /** Facility code for events that bring none of their own. */
  facility: number;
  sdId: string;
  /** Whole message including header, before framing. */
  maxBytes: number;
}

export type Framing = 'octet_counting' | 'newline' | 'datagram';

export function facilityCode(name: string): number {
  const code = (FACILITY_NAMES as readonly string[]).indexOf(name);
  if (code < 0) throw new RangeError(`unknown syslog facility "${name}"`);
  return code;
}

// log.level words services print, to syslog severities.
const LEVEL_SEVERITY: Record<string, number> = {
  emerg: 0,
  emergency: 0,
  panic: 0,
  fatal: 2,
  alert: 1,
  crit: 2,
  critical: 2,
  err: 3,
  error: 3,
  warn: 4,
  warning: 4,
  notice: 5,
  info: 6,
  information: 6,
  informational: 6,
  debug: 7,
  trace: 7,
};

function severityOf(event: LogEvent): number {
  const own = event.log?.syslog?.severity?.code;
  if (own !== undefined) return own;
  const level = event.log?.level?.toLowerCase();
  return (level === undefined ? undefined : LEVEL_SEVERITY[level]) ?? SEVERITY_NAMES.indexOf('informational');
}

/**
 * An RFC 5424 header field: printable US-ASCII only (33-126), at most `max`
 * characters, NILVALUE when nothing is left. Anything else becomes `_`, so a
 * hostile container name can never shift the header's fields.
 */
export function headerField(value: string | number | undefined, max: number): string {
  if (value === undefined) return '-';
  const text = String(value);
  let out = '';
  for (let i = 0; i < text.length && out.length < max; i++) {
    const c = text.charCodeAt(i);
    out += c >= 33 && c <= 126 ? text[i] : '_';
  }
  return out === '' ? '-' : out;
}

/** An SD-PARAM value: `"`, `\` and `]` escaped with a backslash (RFC 5424 6.3.3). */
export function paramValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** An SD-NAME (SD-ID or PARAM-NAME): printable ASCII but `=`, space, `]` and `"`, 1-32 characters. */
export function sdName(value: string): string {
  const name = headerField(value, 32).replace(/[="\]]/g, '_');
  return name === '-' ? '_' : name;
}

// RFC 5424 allows at most six digits of fraction; our events carry nine.
const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function timestamp5424(value: string): string {
  const match = RFC3339.exec(value);
  if (!match) return '-';
  const fraction = match[2] ? match[2].slice(0, 7) : '';
  return `${match[1]}${fraction}${match[3]}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3164's `Mmm dd hh:mm:ss`, in UTC (the format has no zone: docs/agent.md says so). */
export function timestamp3164(value: string): string {
  const date = new Date(value.replace(/(\.\d{3})\d+/, '$1'));
  const time = Number.isNaN(date.getTime()) ? new Date() : date;
  const day = String(time.getUTCDate()).padStart(2, ' ');
  const clock = time.toISOString().slice(11, 19);
  return `${MONTHS[time.getUTCMonth()]} ${day} ${clock}`;
}

/** A relayed message keeps its sender's host name, as syslog relays do; everything else is this host's. */
function hostName(event: LogEvent): string {
  return event.log?.syslog?.hostname ?? event.host.name;
}

function appName(event: LogEvent): string | undefined {
  return event.container?.name ?? event.log?.syslog?.appname ?? event.process?.name ?? event.service?.name ?? 'shiplog';
}

function ourElement(event: LogEvent, sdId: string, truncatedFrom?: number): string {
  const params: Array<[string, string]> = [['event_id', event.shiplog.id]];
  const container = event.container;
  if (container) {
    params.push(['container_id', container.id]);
    if (container.name) params.push(['container_name', container.name]);
    if (container.image) {
      const image = container.image.tag ? `${container.image.name}:${container.image.tag}` : container.image.name;
      params.push(['container_image', image]);
    }
  }
  if (event.log?.stream) params.push(['stream', event.log.stream]);
  if (event.log?.file?.path) params.push(['file', event.log.file.path]);
  if (event.source?.ip) params.push(['source_ip', event.source.ip]);
  if (event.shiplog.truncated) params.push(['truncated', 'at_source']);
  if (truncatedFrom !== undefined) params.push(['truncated_from_bytes', String(truncatedFrom)]);
  return `[${sdId}${params.map(([name, value]) => ` ${name}="${paramValue(value)}"`).join('')}]`;
}

/** The structured data an event received by syslog brought with it, passed on. */
function theirElements(event: LogEvent, sdId: string): string {
  const data = event.log?.syslog?.structured_data;
  if (!data) return '';
  let out = '';
  for (const [id, params] of Object.entries(data)) {
    const name = sdName(id);
    if (name === sdId) continue;
    out += `[${name}${Object.entries(params)
      .map(([param, value]) => ` ${sdName(param)}="${paramValue(value)}"`)
      .join('')}]`;
  }
  return out;
}

/** Cuts text to at most `maxBytes` of UTF-8 without splitting a character. */
function cutUtf8(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) to a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/** One message, unframed. A message longer than maxBytes is cut and says so. */
export function formatMessage(event: LogEvent, options: MessageFormat): string {
  const facility = event.log?.syslog?.facility?.code ?? options.facility;
  const pri = `<${facility * 8 + severityOf(event)}>`;
  const message = event.message;
  if (options.format === 'rfc3164') {
    const procid = event.log?.syslog?.procid ?? event.process?.pid;
    const tag = headerField(appName(event), 32).replace(/[[\]:]/g, '_');
    const header = `${pri}${timestamp3164(event['@timestamp'])} ${headerField(hostName(event), 255)} ${tag}${
      procid === undefined ? '' : `[${headerField(procid, 128).replace(/[[\]]/g, '_')}]`
    }: `;
    const room = options.maxBytes - Buffer.byteLength(header);
    const body = cutUtf8(message, room);
    return header + body;
  }
  const syslog = event.log?.syslog;
  const header = [
    `${pri}1`,
    timestamp5424(event['@timestamp']),
    headerField(hostName(event), 255),
    headerField(appName(event), 48),
    headerField(syslog?.procid ?? event.process?.pid, 128),
    headerField(syslog?.msgid, 32),
  ].join(' ');
  const theirs = theirElements(event, options.sdId);
  const whole = `${header} ${ourElement(event, options.sdId)}${theirs} ${message}`;
  const size = Buffer.byteLength(whole);
  if (size <= options.maxBytes) return whole;
  const head = `${header} ${ourElement(event, options.sdId, Buffer.byteLength(message))}${theirs} `;
  return head + cutUtf8(message, options.maxBytes - Buffer.byteLength(head));
}

/** The bytes on the wire: octet counting, a line feed (inner ones written as #012), or a datagram as is. */
export function frame(message: string, framing: Framing): string {
  if (framing === 'octet_counting') return `${Buffer.byteLength(message)} ${message}`;
  if (framing === 'newline') return `${message.replace(/\n/g, '#012')}\n`;
  return message;
}
