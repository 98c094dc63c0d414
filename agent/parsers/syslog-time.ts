// Time arithmetic for syslog timestamps: wall-clock time in a configured zone
// to UTC (DST included, through Intl so any IANA zone works), the year that an
// RFC 3164 timestamp leaves out, and cached UTC formatting. Everything here is
// on the hot path, so results are cached per wall-clock hour and per second.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Converts wall-clock fields in one time zone to epoch milliseconds. */
export interface Zone {
  readonly name: string;
  /** Epoch ms of the wall-clock time; month is 1-12. Ambiguous times take the earlier instant. */
  toEpoch(year: number, month: number, day: number, hour: number, minute: number, second: number): number;
  /** The zone's calendar year at an instant. */
  yearAt(epochMs: number): number;
}

/** The host's zone (TZ, else /etc/localtime), as Intl resolves it. */
export function hostZoneName(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/** A zone by IANA name or 'local'; throws RangeError for a name Intl does not know. */
export function createZone(timezone: string): Zone {
  const name = timezone === 'local' ? hostZoneName() : timezone;
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });

  /** The zone's offset from UTC at an instant, in ms (east positive). */
  const offsetAt = (epochMs: number): number => {
    const fields: Record<string, number> = {};
    for (const part of format.formatToParts(epochMs)) {
      if (part.type !== 'literal') fields[part.type] = Number(part.value);
    }
    const wall = Date.UTC(
      fields.year ?? 1970,
      (fields.month ?? 1) - 1,
      fields.day ?? 1,
      fields.hour ?? 0,
      fields.minute ?? 0,
      fields.second ?? 0,
    );
    return wall - (epochMs - (((epochMs % 1000) + 1000) % 1000));
  };

  // Offsets change only at transitions, which fall on whole wall-clock hours
  // in every zone in use, so one lookup serves a whole wall hour. Several
  // hours are kept: year inference tries the same date in adjacent years.
  const offsets = new Map<number, number>();

  const offsetForWall = (wallHour: number): number => {
    const cached = offsets.get(wallHour);
    if (cached !== undefined) return cached;
    // The offset a day before and a day after bracket any transition; a
    // candidate counts only if the zone really has that offset at that instant.
    const before = offsetAt(wallHour - DAY);
    const after = offsetAt(wallHour + DAY);
    let chosen: number | undefined;
    for (const offset of before === after ? [before] : [before, after]) {
      const utc = wallHour - offset;
      // Both valid: the wall time repeats (DST ends); keep the earlier instant.
      if (offsetAt(utc) === offset && (chosen === undefined || wallHour - offset < wallHour - chosen)) chosen = offset;
    }
    // Neither valid: the wall time does not exist (DST starts); read it with
    // the offset before the gap, which lands after the gap as clocks do.
    if (offsets.size >= 256) offsets.clear();
    const offset = chosen ?? before;
    offsets.set(wallHour, offset);
    return offset;
  };

  let yearFrom = Number.NaN;
  let yearUntil = Number.NaN;
  let year = 1970;

  return {
    name,
    toEpoch(y, mo, d, h, mi, s) {
      const wall = Date.UTC(y, mo - 1, d, h, mi, s);
      const wallHour = wall - (((wall % HOUR) + HOUR) % HOUR);
      return wall - offsetForWall(wallHour);
    },
    yearAt(epochMs) {
      if (epochMs >= yearFrom && epochMs < yearUntil) return year;
      year = new Date(epochMs + offsetAt(epochMs)).getUTCFullYear();
      // Reuse for an hour: a year boundary is found again within that hour.
      yearFrom = epochMs - (epochMs % HOUR);
      yearUntil = yearFrom + HOUR;
      return year;
    },
  };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

/**
 * The instant of a year-less (RFC 3164) timestamp: of the years around the
 * reference time, the latest that is not more than `toleranceMs` in the
 * future. So a December line read in January is last year's, and a line from
 * a clock slightly ahead at New Year's is next year's.
 */
export function resolveYearless(
  zone: Zone,
  referenceMs: number,
  toleranceMs: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const current = zone.yearAt(referenceMs);
  const limit = referenceMs + toleranceMs;
  for (let year = current + 1; year >= current - 4; year--) {
    // Feb 29 exists only in leap years; look further back for one.
    if (day > daysInMonth(year, month)) continue;
    const epoch = zone.toEpoch(year, month, day, hour, minute, second);
    if (epoch <= limit) return epoch;
  }
  return undefined;
}

let cachedSecond = Number.NaN;
let cachedIso = '';

/** 'YYYY-MM-DDTHH:MM:SS' in UTC for an epoch second; the last one is cached. */
export function utcSecondText(epochSecond: number): string {
  if (epochSecond !== cachedSecond) {
    cachedIso = new Date(epochSecond * 1000).toISOString().slice(0, 19);
    cachedSecond = epochSecond;
  }
  return cachedIso;
}

/** The fraction as RFC 3339 wants it from a shipper: at least milliseconds, at most nanoseconds. */
export function fractionText(digits: string): string {
  if (digits.length >= 3) return digits.length > 9 ? digits.slice(0, 9) : digits;
  return digits.padEnd(3, '0');
}
