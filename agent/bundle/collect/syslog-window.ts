// Which lines of a syslog file lie in the bundle's window, decided line by
// line over text read as latin1 (one character per byte). A line's time is
// what the syslog parser reads from it; a line without a time of its own (a
// stack trace's continuation) goes with the line before it, and at the start
// of a file it is kept when the file was written to within the window.
//
// Only the timestamp decides, so only the line's first word (RFC 3339) or
// first three words (traditional) are handed to the parser: it then reads the
// same characters as it would from the whole line, without building the
// host, tag and message of every line. Lines with a PRI (`<13>`) are parsed
// whole, since RFC 5424 may fail on the header after the time.
import { createSyslogParser } from '../../parsers/syslog.ts';

export interface WindowFilterOptions {
  /** sources.files.timezone: zone of timestamps without an offset. */
  readonly timezone: string;
  /** The window, in epoch milliseconds. */
  readonly since: number;
  readonly until: number;
  /** The file's last write: year-less timestamps are placed relative to it. */
  readonly mtimeMs: number;
}

export interface WindowFilter {
  /** Whether the line `text[start, end)` (without its \n) goes into the bundle. */
  keeps(text: string, start: number, end: number): boolean;
}

const BOM_LATIN1 = '\xef\xbb\xbf';

export function createWindowFilter(options: WindowFilterOptions): WindowFilter {
  const parse = createSyslogParser({ timezone: options.timezone });
  const { since, until, mtimeMs } = options;
  let keep = mtimeMs >= since && mtimeMs <= until;
  // The last second parsed and its epoch (lines of one second share it).
  let secondText = '';
  let secondMs = Number.NaN;

  /** Epoch milliseconds of the parser's `@timestamp` (YYYY-MM-DDTHH:MM:SS.fff...Z), or undefined on failure. */
  const timeOf = (parsed: ReturnType<typeof parse>): number | undefined => {
    if (parsed.parse_failure !== undefined) return undefined;
    const stamp = parsed['@timestamp'];
    if (!stamp.startsWith(secondText) || secondText === '') {
      secondText = stamp.slice(0, 19);
      secondMs = Date.parse(`${secondText}Z`);
    }
    // At least three fraction digits follow the dot; milliseconds are what the window compares.
    return secondMs + Number(stamp.slice(20, 23));
  };

  // Timestamps handed to the parser, with their results, so that lines of one
  // second are not parsed again: the last traditional stamp, and for RFC 3339
  // (whose fraction only adds milliseconds) the last second seen with each of
  // a few offsets (files mix `Z` and `+00:00`).
  let lastStamp = '';
  let lastTime: number | undefined;
  const seconds: { second: string; offset: string; ms: number }[] = [];

  /** Epoch milliseconds of the RFC 3339 stamp `text[at, end)` when its second and offset were parsed before. */
  const knownSecond = (text: string, at: number, end: number): number | undefined => {
    if (text.charCodeAt(at + 19) !== 0x2e) return undefined;
    let i = at + 20;
    let ms = 0;
    while (i < end) {
      const d = text.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      if (i < at + 23) ms = ms * 10 + d;
      i++;
    }
    // The parser wants at least one digit after the dot; fewer than three are tenths or hundredths.
    if (i === at + 20) return undefined;
    for (let digits = Math.min(i - at - 20, 3); digits < 3; digits++) ms *= 10;
    for (const known of seconds) {
      if (end - i === known.offset.length && sameAt(text, i, known.offset) && sameAt(text, at, known.second)) {
        return known.ms + ms;
      }
    }
    return undefined;
  };

  const stampTime = (text: string, at: number, end: number, rfc3339: boolean): number | undefined => {
    if (!rfc3339) {
      if (end - at !== lastStamp.length || !sameAt(text, at, lastStamp)) {
        lastStamp = text.slice(at, end);
        lastTime = timeOf(parse(lastStamp, mtimeMs));
      }
      return lastTime;
    }
    const known = knownSecond(text, at, end);
    if (known !== undefined) return known;
    const stamp = text.slice(at, end);
    const time = timeOf(parse(stamp, mtimeMs));
    if (time !== undefined && stamp.charCodeAt(19) === 0x2e) {
      // Remember the second and the offset around the fraction, and the second's epoch.
      let i = 20;
      while (i < stamp.length && stamp.charCodeAt(i) >= 0x30 && stamp.charCodeAt(i) <= 0x39) i++;
      const offset = stamp.slice(i);
      const entry = {
        second: stamp.slice(0, 19),
        offset,
        ms: time - Number(stamp.slice(20, Math.min(i, 23)).padEnd(3, '0')),
      };
      const slot = seconds.findIndex((known) => known.offset === offset);
      if (slot >= 0) seconds[slot] = entry;
      else if (seconds.length < 4) seconds.push(entry);
      else seconds[0] = entry;
    }
    return time;
  };

  const lineTime = (text: string, start: number, lineEnd: number): number | undefined => {
    let end = lineEnd;
    // A CR LF line ending: the CR is not part of the line.
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    const at = text.charCodeAt(start) === 0xef && sameAt(text, start, BOM_LATIN1) ? start + 3 : start;
    const first = text.charCodeAt(at);
    if (first === 0x3c) {
      // "<PRI>": RFC 5424 may fail after the time; parse the whole line, decoded.
      return timeOf(parse(Buffer.from(text.slice(start, end), 'latin1').toString('utf8'), mtimeMs));
    }
    let stampEnd: number;
    const rfc3339 = first >= 0x30 && first <= 0x39;
    if (rfc3339) {
      // RFC 3339 has no space in it: the first word.
      stampEnd = text.indexOf(' ', at);
    } else if (first >= 0x41 && first <= 0x5a) {
      // "Mmm dd hh:mm:ss[.fff]": spaces only before the time, which starts by offset 7.
      stampEnd = text.indexOf(' ', at + 7);
    } else {
      return undefined;
    }
    if (stampEnd < 0 || stampEnd > end) stampEnd = end;
    return stampTime(text, at, stampEnd, rfc3339);
  };

  return {
    keeps(text, start, end) {
      const time = lineTime(text, start, end);
      if (time !== undefined) keep = time >= since && time <= until;
      return keep;
    },
  };
}

/**
 * `text.startsWith(part, at)`, compared from the end: a second's text differs
 * from the last one in its last digits, and a loop the compiler inlines is
 * several times cheaper per line than the builtin call.
 */
function sameAt(text: string, at: number, part: string): boolean {
  for (let i = part.length - 1; i >= 0; i--) if (text.charCodeAt(at + i) !== part.charCodeAt(i)) return false;
  return true;
}
