// Event times: bundles write RFC 3339 with up to nanosecond precision and
// any offset. The index keeps the text as written (so the event comes back
// exactly) and a sortable UTC form: milliseconds since the epoch (also what
// histograms count in) plus the nanoseconds within that millisecond.

export interface EventTime {
  /** UTC milliseconds since 1970 (may be negative). */
  readonly ms: number;
  /** Nanoseconds within the millisecond, 0..999999. */
  readonly ns: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
/** Milliseconds in 400 Gregorian years: shifts years below 100 out of Date.UTC's 1900s mapping. */
const FOUR_CENTURIES_MS = 146097 * 86400000;

/** Parses an RFC 3339 time; undefined when it is not one. Digits past nanoseconds are ignored. */
export function parseTimestamp(text: string): EventTime | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const fraction = m[7] ?? '';
  const nanos = fraction === '' ? 0 : Number(fraction.length >= 9 ? fraction.slice(0, 9) : fraction.padEnd(9, '0'));
  let ms = Date.UTC(year + 400, month - 1, day, hour, minute, second) - FOUR_CENTURIES_MS;
  ms += Math.floor(nanos / 1e6) - offsetMinutes * 60000;
  return { ms, ns: nanos % 1e6 };
}

/** Compares two times; negative when a is earlier. */
export function compareTimes(a: EventTime, b: EventTime): number {
  return a.ms - b.ms || a.ns - b.ns;
}
