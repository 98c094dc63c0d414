// The part of a traditional syslog line after its timestamp,
// "HOSTNAME TAG[PID]: MSG", where the hostname and the pid may be missing;
// plus the character helpers the parsers share. Scanned by index, no regex.

import type { ParsedSyslog, SyslogFields } from './syslog.ts';
import { FACILITY_NAMES, SEVERITY_NAMES } from './syslog-5424.ts';

const SPACE = 0x20;
const COLON = 0x3a;
const DOT = 0x2e;
const DASH = 0x2d;
const OPEN = 0x5b;
const ZERO = 0x30;
// RFC 3164 allows 32 characters of tag; real tags (systemd units) are longer.
const MAX_TAG = 128;

/** The digit at `at`, or -1. */
export function digit(line: string, at: number): number {
  const d = line.charCodeAt(at) - ZERO;
  return d >= 0 && d <= 9 ? d : -1;
}

/** Two digits at `at`, or -1. */
export function two(line: string, at: number): number {
  const a = digit(line, at);
  const b = digit(line, at + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

function isTagChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= ZERO && c <= ZERO + 9) ||
    c === DASH ||
    c === 0x5f ||
    c === DOT ||
    c === 0x2f
  );
}

function isAllDigits(text: string): boolean {
  if (text.length === 0 || text.length > 10) return false;
  for (let i = 0; i < text.length; i++) if (digit(text, i) < 0) return false;
  return true;
}

type CodeName = { readonly code: number; readonly name: string };

// One frozen object per facility and severity, shared by every parse result:
// two fewer allocations per line on the hot path. Nothing downstream mutates them.
const FACILITIES: readonly CodeName[] = Array.from({ length: 24 }, (_, code) =>
  Object.freeze({ code, name: FACILITY_NAMES[code] ?? String(code) }),
);
const SEVERITIES: readonly CodeName[] = Array.from({ length: 8 }, (_, code) =>
  Object.freeze({ code, name: SEVERITY_NAMES[code] ?? String(code) }),
);

/** Facility, severity and priority from a PRI value (-1: the line had none). */
export function withPriority(syslog: SyslogFields, pri: number): void {
  if (pri < 0) return;
  const facility = pri >> 3;
  const severity = pri & 7;
  syslog.priority = pri;
  syslog.facility = FACILITIES[facility] ?? { code: facility, name: String(facility) };
  syslog.severity = SEVERITIES[severity] ?? { code: severity, name: String(severity) };
}

/** The parse result; a numeric procid also becomes process.pid. */
export function parsedResult(
  stampText: string,
  message: string,
  syslog: SyslogFields,
  appname: string | undefined,
  procid: string | undefined,
): ParsedSyslog {
  const parsed: ParsedSyslog = { '@timestamp': stampText, message, syslog };
  if (appname !== undefined) {
    parsed.process =
      procid !== undefined && isAllDigits(procid) ? { name: appname, pid: Number(procid) } : { name: appname };
  }
  return parsed;
}

/** HOSTNAME? TAG[PID]: MSG after a timestamp; the tag and hostname are optional. */
export function hostTagMessage(line: string, at: number, stampText: string, pri: number): ParsedSyslog {
  const n = line.length;
  const syslog: SyslogFields = {};
  withPriority(syslog, pri);
  let i = at;
  let end = line.indexOf(' ', i);
  if (end < 0) end = n;
  // A first word ending in ':' is a tag: the hostname is missing.
  if (end > i && line.charCodeAt(end - 1) !== COLON) {
    syslog.hostname = line.slice(i, end);
    i = end + 1;
  }
  if (i >= n) return parsedResult(stampText, '', syslog, undefined, undefined);
  // TAG: up to ':', '[' or a space. A tag ended by a space is what rsyslog
  // writes for RFC 5424 input ("host app message"); RFC 3164 reads it so
  // too, provided the word is tag-like (letters, digits, "-_./").
  let k = i;
  const limit = Math.min(n, i + MAX_TAG);
  let c = 0;
  let tagLike = true;
  while (k < limit) {
    c = line.charCodeAt(k);
    if (c === COLON || c === OPEN || c === SPACE) break;
    if (tagLike && !isTagChar(c)) tagLike = false;
    k++;
  }
  if (k === i || k >= limit || (c === SPACE && !tagLike)) {
    return parsedResult(stampText, line.slice(i), syslog, undefined, undefined);
  }
  const appname = line.slice(i, k);
  let procid: string | undefined;
  let m = k;
  if (c === OPEN) {
    const close = line.indexOf(']', k + 1);
    if (close < 0 || close - k > 32) return parsedResult(stampText, line.slice(i), syslog, undefined, undefined);
    procid = line.slice(k + 1, close);
    m = close + 1;
    // "tag[pid]" without the colon is seen from some senders.
    const after = line.charCodeAt(m);
    if (after !== COLON && after !== SPACE && m < n) {
      return parsedResult(stampText, line.slice(i), syslog, undefined, undefined);
    }
  }
  if (line.charCodeAt(m) === COLON) m++;
  if (line.charCodeAt(m) === SPACE) m++;
  syslog.appname = appname;
  if (procid !== undefined && procid !== '') syslog.procid = procid;
  return parsedResult(stampText, m >= n ? '' : line.slice(m), syslog, appname, syslog.procid);
}
