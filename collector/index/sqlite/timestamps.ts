// Event times: bundles write RFC 3339 with up to nanosecond precision and
// any offset. The index keeps a sortable UTC form: milliseconds since the
// epoch (also what histograms count in) plus the nanoseconds within that
// millisecond; and the text as written, so that the event comes back
// exactly. Most texts are the canonical spelling of their time in their
// offset (upper-case T and Z, a real calendar date, no leap second); for
// those the index keeps only a small number (the offset and the number of
// fraction digits, see `format`) instead of 30 characters per event, and
// formatTimestamp() writes the same text back.
//
// The parser reads character codes at fixed positions and does the calendar
// arithmetic itself: the writer parses every event, and this is several
// times faster than a regular expression and Date.UTC.

export interface EventTime {
  /** UTC milliseconds since 1970 (may be negative). */
  ms: number;
  /** Nanoseconds within the millisecond, 0..999999. */
  ns: number;
  /**
   * How the text spells the time, when formatTimestamp(ms, ns, format)
   * gives it back exactly: ((zone * 1440 + offset minutes) * 10 + fraction
   * digits), zone 0 for Z, 1 for +, 2 for -. -1 when the text is spelled
   * otherwise (and must be kept as it is). Set by the parser.
   */
  format?: number;
}

/** Parses an RFC 3339 time; undefined when it is not one. Digits past nanoseconds are ignored. */
export function parseTimestamp(text: string): EventTime | undefined {
  const out = { ms: 0, ns: 0, format: -1 };
  return parseTimestampInto(text, out) ? out : undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The text of a time with a canonical format (see EventTime.format). */
export function formatTimestamp(ms: number, ns: number, format: number): string {
  const digits = format % 10;
  const zone = Math.floor(format / 10 / 1440);
  const offset = Math.floor(format / 10) % 1440;
  const local = ms + (zone === 2 ? -offset : offset) * 60_000;
  const iso = new Date(local).toISOString();
  // The local date is the one the text had, a year from 0000 to 9999: the ISO form has 24 characters.
  let text = iso.slice(0, 19);
  if (digits > 0) {
    const nanos = String((((local % 1000) + 1000) % 1000) * 1e6 + ns).padStart(9, '0');
    text += `.${nanos.slice(0, digits)}`;
  }
  if (zone === 0) return `${text}Z`;
  return `${text}${zone === 2 ? '-' : '+'}${String(Math.floor(offset / 60)).padStart(2, '0')}:${String(offset % 60).padStart(2, '0')}`;
}

/** parseTimestamp without allocating: fills `out`, returns false when `text` is not RFC 3339. */
export function parseTimestampInto(text: string, out: EventTime): boolean {
  if (typeof text !== 'string' || text.length < 20) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const t = text.charCodeAt(10);
  if (
    (year | month | day | hour | minute | second) < 0 ||
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    (t !== 84 && t !== 116 && t !== 32) ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  ) {
    return false;
  }
  let i = 19;
  let nanos = 0;
  let count = 0;
  if (text.charCodeAt(i) === 46) {
    i++;
    const start = i;
    while (i < text.length) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (i - start < 9) nanos = nanos * 10 + c;
      i++;
    }
    count = i - start;
    if (count === 0) return false;
    for (let k = count; k < 9; k++) nanos *= 10;
  }
  let offsetMinutes = 0;
  let zoneKind = 0;
  const zone = text.charCodeAt(i);
  if (zone === 90 || zone === 122) {
    if (i + 1 !== text.length) return false;
  } else if (zone === 43 || zone === 45) {
    if (i + 6 !== text.length || text.charCodeAt(i + 3) !== 58) return false;
    const oh = digits(text, i + 1, 2);
    const om = digits(text, i + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return false;
    offsetMinutes = (zone === 45 ? -1 : 1) * (oh * 60 + om);
    zoneKind = zone === 45 ? 2 : 1;
  } else {
    return false;
  }
  const fromEpoch = daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000;
  out.ms = fromEpoch + Math.floor(nanos / 1e6) - offsetMinutes * 60_000;
  out.ns = nanos % 1e6;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const canonical =
    t === 84 &&
    zone !== 122 &&
    count <= 9 &&
    second < 60 &&
    day <= (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0);
  out.format = canonical ? (zoneKind * 1440 + Math.abs(offsetMinutes)) * 10 + count : -1;
  return true;
}

/** The decimal number in text[at, at + count), or -1 when a character there is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (days past a month's end roll over, as Date.UTC does). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Compares two times; negative when a is earlier. */
export function compareTimes(a: EventTime, b: EventTime): number {
  return a.ms - b.ms || a.ns - b.ns;
}
