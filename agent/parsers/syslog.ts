// Syslog lines as rsyslog writes them into files on RHEL and Debian:
//   traditional      Jan  1 03:12:45 host app[pid]: message   (RFC 3164 style)
//   high precision   2026-11-25T03:12:45.123456+01:00 host app[pid]: message
//   RFC 5424         <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG
// This is the hot path of file tailing, so it scans characters by index, has
// no regular expressions (no backtracking), and reuses the UTC text of the
// previous timestamp when the next line carries the same second.
// A line that does not parse is kept whole with a parse_failure reason.
import type { LogEvent } from '../../schemas/log-event.ts';
import { parseStructuredData } from './syslog-5424.ts';
import { digit, hostTagMessage, parsedResult, two, withPriority } from './syslog-header.ts';
import { createZone, daysInMonth, fractionText, resolveYearless, utcSecondText } from './syslog-time.ts';

export type SyslogFields = NonNullable<NonNullable<LogEvent['log']>['syslog']>;

/** ECS fields read from one line (`syslog` goes to `log.syslog`). */
export interface ParsedSyslog {
  '@timestamp': string;
  message: string;
  syslog?: SyslogFields;
  process?: { name: string; pid?: number };
  /** Why the line did not parse; it is then the whole message and `@timestamp` is the read time. */
  parse_failure?: string;
  /**
   * The message carried no usable time (RFC 5424 NILVALUE, or an RFC 3164
   * message whose PRI is followed by no timestamp): `@timestamp` is the
   * time of receipt. Encoded as the tag `timestamp_from_receipt`.
   */
  time_from_receipt?: true;
}

/** The tag an event gets when its `@timestamp` is the time of receipt. */
export const TIME_FROM_RECEIPT_TAG = 'timestamp_from_receipt';

export interface SyslogParserOptions {
  /** Zone of timestamps without an offset (traditional format): 'local' or an IANA name. */
  timezone?: string;
  /**
   * How far ahead of the read time a year-less timestamp may land. A day,
   * because a zone mismatch (an agent container on UTC reading a host's
   * local-time files) puts lines hours ahead, and reading those as last
   * year's would be off by a year instead of by hours.
   */
  futureToleranceMs?: number;
}

/** Parses one line (without its newline); `readTimeMs` anchors year inference and failures. */
export type SyslogParser = (line: string, readTimeMs: number) => ParsedSyslog;

const SPACE = 0x20;
const COLON = 0x3a;
const DOT = 0x2e;
const DASH = 0x2d;
const PLUS = 0x2b;
const LT = 0x3c;
const GT = 0x3e;
const OPEN = 0x5b;
const ZERO = 0x30;
const BOM = 0xfeff;
const STAR = 0x2a;

const MONTHS: Record<string, number> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

export function createSyslogParser(options: SyslogParserOptions = {}): SyslogParser {
  const zone = createZone(options.timezone ?? 'local');
  const tolerance = options.futureToleranceMs ?? 86_400_000;

  // Results of the helpers below, kept in closure variables so the hot path
  // allocates no tuple per line.
  let stamp = '';

  // RFC 3339 cache: the 'YYYY-MM-DDTHH:MM:SS' text, its offset text, and the UTC second.
  let c3339Seconds = '';
  let c3339Offset = '';
  let c3339Utc = '';
  // Traditional cache: 'Mmm dd hh:mm:ss' text and its UTC second, valid for a
  // minute of read time (year inference depends on the read time).
  let c3164Text = '';
  let c3164Utc = '';
  let c3164At = Number.NEGATIVE_INFINITY;
  let readIsoAt = Number.NaN;
  let readIso = '';

  const readTime = (now: number): string => {
    if (now !== readIsoAt) {
      readIso = new Date(now).toISOString();
      readIsoAt = now;
    }
    return readIso;
  };

  /** Fraction digits from `at` (just past '.'); returns the index after them. */
  const fractionEnd = (line: string, at: number): number => {
    let i = at;
    while (digit(line, i) >= 0) i++;
    return i;
  };

  /** RFC 3339 timestamp at `at`; sets `stamp`, returns the index after it or -1. */
  const rfc3339 = (line: string, at: number): number => {
    const century = two(line, at);
    const yy = two(line, at + 2);
    const y = century < 0 || yy < 0 ? -1 : century * 100 + yy;
    const mo = two(line, at + 5);
    const d = two(line, at + 8);
    const h = two(line, at + 11);
    const mi = two(line, at + 14);
    const s = two(line, at + 17);
    const t = line.charCodeAt(at + 10) | 0x20;
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return -1;
    if (line.charCodeAt(at + 4) !== DASH || line.charCodeAt(at + 7) !== DASH || t !== 0x74) return -1;
    if (line.charCodeAt(at + 13) !== COLON || line.charCodeAt(at + 16) !== COLON || d > daysInMonth(y, mo)) return -1;
    let i = at + 19;
    let fraction = '';
    if (line.charCodeAt(i) === DOT) {
      const end = fractionEnd(line, i + 1);
      if (end === i + 1) return -1;
      fraction = line.slice(i + 1, end);
      i = end;
    }
    const offsetAt = i;
    const sign = line.charCodeAt(i);
    let offsetMinutes = 0;
    if ((sign | 0x20) === 0x7a) {
      i++;
    } else if (sign === PLUS || sign === DASH) {
      const oh = two(line, i + 1);
      const om = two(line, i + 4);
      if (oh < 0 || oh > 23 || om < 0 || om > 59 || line.charCodeAt(i + 3) !== COLON) return -1;
      offsetMinutes = (sign === PLUS ? 1 : -1) * (oh * 60 + om);
      i += 6;
    } else {
      return -1;
    }
    if (!(line.startsWith(c3339Seconds, at) && line.startsWith(c3339Offset, offsetAt) && c3339Seconds !== '')) {
      const epoch = Date.UTC(y, mo - 1, d, h, mi, s) - offsetMinutes * 60_000;
      c3339Utc = utcSecondText(epoch / 1000);
      c3339Seconds = line.slice(at, at + 19);
      c3339Offset = line.slice(offsetAt, i);
    }
    stamp = `${c3339Utc}.${fractionText(fraction)}Z`;
    return i;
  };

  /** 'Mmm dd hh:mm:ss' at `at` in the configured zone; sets `stamp`, returns the index after it or -1. */
  const rfc3164 = (line: string, at: number, now: number): number => {
    let i: number;
    if (c3164Text !== '' && now - c3164At < 60_000 && now >= c3164At && line.startsWith(c3164Text, at)) {
      i = at + c3164Text.length;
    } else {
      const mo = MONTHS[line.slice(at, at + 3)];
      if (mo === undefined || line.charCodeAt(at + 3) !== SPACE) return -1;
      // The day is space-padded ("Jan  1"); accept "Jan 01" and "Jan 1" too.
      i = at + 4;
      if (line.charCodeAt(i) === SPACE) i++;
      let d = digit(line, i);
      if (d < 0) return -1;
      i++;
      const d2 = digit(line, i);
      if (d2 >= 0) {
        d = d * 10 + d2;
        i++;
      }
      // "Mmm dd YYYY hh:mm:ss": devices set to print the year put it here.
      let year = -1;
      if (line.charCodeAt(i) === SPACE && line.charCodeAt(i + 5) === SPACE) {
        const century = two(line, i + 1);
        const yy = two(line, i + 3);
        if (century >= 0 && yy >= 0) {
          year = century * 100 + yy;
          i += 5;
        }
      }
      const h = two(line, i + 1);
      const mi = two(line, i + 4);
      const s = two(line, i + 7);
      if (line.charCodeAt(i) !== SPACE || line.charCodeAt(i + 3) !== COLON || line.charCodeAt(i + 6) !== COLON)
        return -1;
      if (d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60) return -1;
      i += 9;
      if (year >= 0 && d > daysInMonth(year, mo)) return -1;
      const epoch =
        year >= 0 ? zone.toEpoch(year, mo, d, h, mi, s) : resolveYearless(zone, now, tolerance, mo, d, h, mi, s);
      if (epoch === undefined) return -1;
      c3164Utc = utcSecondText(epoch / 1000);
      c3164Text = line.slice(at, i);
      c3164At = now;
    }
    // Some senders add a fraction to the traditional form.
    let fraction = '';
    if (line.charCodeAt(i) === DOT) {
      const end = fractionEnd(line, i + 1);
      fraction = line.slice(i + 1, end);
      i = end;
    }
    stamp = `${c3164Utc}.${fractionText(fraction)}Z`;
    return i;
  };

  const failure = (line: string, now: number, reason: string): ParsedSyslog => ({
    '@timestamp': readTime(now),
    message: line,
    parse_failure: reason,
  });

  /** One SP-terminated header field of RFC 5424; '-' is NILVALUE. Sets `field`, returns the next index or -1. */
  let field: string | undefined;
  const headerField = (line: string, at: number): number => {
    const end = line.indexOf(' ', at);
    if (end <= at) return -1;
    field = end === at + 1 && line.charCodeAt(at) === DASH ? undefined : line.slice(at, end);
    return end + 1;
  };

  const rfc5424 = (line: string, at: number, pri: number, now: number): ParsedSyslog => {
    let i = at;
    let stampText: string;
    const nilStamp = line.charCodeAt(i) === DASH && line.charCodeAt(i + 1) === SPACE;
    if (nilStamp) {
      stampText = readTime(now);
      i += 2;
    } else {
      i = rfc3339(line, i);
      if (i < 0 || line.charCodeAt(i) !== SPACE) return failure(line, now, 'RFC 5424 timestamp is not RFC 3339');
      stampText = stamp;
      i++;
    }
    const syslog: SyslogFields = { version: 1 };
    withPriority(syslog, pri);
    i = headerField(line, i);
    if (i < 0) return failure(line, now, 'RFC 5424 header is incomplete');
    if (field !== undefined) syslog.hostname = field;
    i = headerField(line, i);
    if (i < 0) return failure(line, now, 'RFC 5424 header is incomplete');
    const appname = field;
    if (appname !== undefined) syslog.appname = appname;
    i = headerField(line, i);
    if (i < 0) return failure(line, now, 'RFC 5424 header is incomplete');
    if (field !== undefined) syslog.procid = field;
    i = headerField(line, i);
    if (i < 0) return failure(line, now, 'RFC 5424 header is incomplete');
    if (field !== undefined) syslog.msgid = field;
    if (line.charCodeAt(i) === DASH) {
      i++;
    } else if (line.charCodeAt(i) === OPEN) {
      const sd = parseStructuredData(line, i);
      if (sd.end < 0 || sd.data === undefined) return failure(line, now, 'RFC 5424 structured data is malformed');
      syslog.structured_data = sd.data;
      i = sd.end;
    } else {
      return failure(line, now, 'RFC 5424 structured data is missing');
    }
    let message = '';
    if (i < line.length) {
      if (line.charCodeAt(i) !== SPACE) return failure(line, now, 'RFC 5424 structured data is malformed');
      i++;
      // MSG may start with a UTF-8 byte order mark (§6.4), which is not text.
      if (line.charCodeAt(i) === BOM) i++;
      message = line.slice(i);
    }
    const parsed = parsedResult(stampText, message, syslog, appname, syslog.procid);
    if (nilStamp) parsed.time_from_receipt = true;
    return parsed;
  };

  /**
   * RFC 3164 §4.3.3: a valid PRI without a valid TIMESTAMP is a message a
   * relay must pass on with the time of receipt, the rest of it as CONTENT.
   */
  const relayed = (line: string, at: number, pri: number, now: number): ParsedSyslog => {
    const syslog: SyslogFields = {};
    withPriority(syslog, pri);
    return { '@timestamp': readTime(now), message: line.slice(at), syslog, time_from_receipt: true };
  };

  return (line, now) => {
    let i = line.charCodeAt(0) === BOM ? 1 : 0;
    let pri = -1;
    if (line.charCodeAt(i) === LT) {
      let j = i + 1;
      let value = 0;
      while (j < i + 4 && digit(line, j) >= 0) value = value * 10 + digit(line, j++);
      if (j === i + 1 || line.charCodeAt(j) !== GT || value > 191) return failure(line, now, 'PRI is not <0>..<191>');
      pri = value;
      i = j + 1;
      if (line.charCodeAt(i) === 0x31 && line.charCodeAt(i + 1) === SPACE) return rfc5424(line, i + 2, pri, now);
    }
    // Devices mark a clock they do not trust with '*' or '.' before the time (Cisco IOS).
    const mark = line.charCodeAt(i);
    if (pri >= 0 && (mark === STAR || mark === DOT) && isUpper(line.charCodeAt(i + 1))) i++;
    const first = line.charCodeAt(i);
    let end: number;
    if (first >= ZERO && first <= ZERO + 9) end = rfc3339(line, i);
    else if (isUpper(first)) end = rfc3164(line, i, now);
    else end = -1;
    if (end < 0) return pri >= 0 ? relayed(line, i, pri, now) : failure(line, now, 'no syslog timestamp');
    // "Mmm dd hh:mm:ss: text": network gear ends its timestamp with a colon.
    if (pri >= 0 && line.charCodeAt(end) === COLON && line.charCodeAt(end + 1) === SPACE) end++;
    if (end < line.length && line.charCodeAt(end) !== SPACE) {
      return pri >= 0 ? relayed(line, i, pri, now) : failure(line, now, 'no space after the timestamp');
    }
    if (end < line.length && line.charCodeAt(end) === SPACE && line.charCodeAt(end + 1) === SPACE) {
      // Two spaces where the hostname should be: rsyslog writes this for an empty hostname.
      return hostTagMessage(line, end + 2, stamp, pri);
    }
    return hostTagMessage(line, end + 1, stamp, pri);
  };
}

function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}
