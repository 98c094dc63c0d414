// RFC 5424 pieces that the traditional formats do not have: the structured
// data block and the facility/severity names. Scanned by hand, character by
// character: no regular expression, so no backtracking on hostile input.

export type StructuredData = Record<string, Record<string, string>>;

export interface SdResult {
  data: StructuredData | undefined;
  /** Index just past the structured data, or -1 when it is malformed. */
  end: number;
}

const SPACE = 0x20;
const QUOTE = 0x22;
const EQUALS = 0x3d;
const OPEN = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE = 0x5d;

/** Reads SD-ELEMENTs starting at `at` (which holds '['); RFC 5424 §6.3. */
export function parseStructuredData(line: string, at: number): SdResult {
  const data: StructuredData = {};
  let i = at;
  const n = line.length;
  while (i < n && line.charCodeAt(i) === OPEN) {
    i++;
    const idStart = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === SPACE || c === CLOSE) break;
      if (c === EQUALS || c === QUOTE) return { data: undefined, end: -1 };
      i++;
    }
    if (i === idStart || i >= n) return { data: undefined, end: -1 };
    const id = line.slice(idStart, i);
    const params: Record<string, string> = data[id] ?? {};
    while (i < n && line.charCodeAt(i) === SPACE) {
      i++;
      const nameStart = i;
      while (i < n && line.charCodeAt(i) !== EQUALS) {
        const c = line.charCodeAt(i);
        if (c === SPACE || c === CLOSE || c === QUOTE) return { data: undefined, end: -1 };
        i++;
      }
      if (i === nameStart || line.charCodeAt(i + 1) !== QUOTE) return { data: undefined, end: -1 };
      const name = line.slice(nameStart, i);
      i += 2;
      // PARAM-VALUE: '"', '\' and ']' are escaped with '\'; a backslash before
      // any other character is kept as it is (§6.3.3).
      let value = '';
      let runStart = i;
      let closed = false;
      while (i < n) {
        const c = line.charCodeAt(i);
        if (c === QUOTE) {
          value += line.slice(runStart, i);
          i++;
          closed = true;
          break;
        }
        if (c === BACKSLASH && i + 1 < n) {
          const next = line.charCodeAt(i + 1);
          if (next === QUOTE || next === BACKSLASH || next === CLOSE) {
            value += line.slice(runStart, i);
            runStart = i + 1;
            i += 2;
            continue;
          }
        }
        i++;
      }
      if (!closed) return { data: undefined, end: -1 };
      params[name] = value;
    }
    if (line.charCodeAt(i) !== CLOSE) return { data: undefined, end: -1 };
    i++;
    data[id] = params;
  }
  return { data, end: i };
}

export const FACILITY_NAMES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;

export const SEVERITY_NAMES = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
] as const;
