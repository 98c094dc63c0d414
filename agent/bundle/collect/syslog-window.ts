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

  const lineTime = (text: string, start: number, lineEnd: number): number | undefined => {
    let end = lineEnd;
    // A CR LF line ending: the CR is not part of the line.
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    const at = text.startsWith(BOM_LATIN1, start) ? start + 3 : start;
    const first = text.charCodeAt(at);
    if (first === 0x3c) {
      // "<PRI>": RFC 5424 may fail after the time; parse the whole line, decoded.
      return timeOf(parse(Buffer.from(text.slice(start, end), 'latin1').toString('utf8'), mtimeMs));
    }
    let stampEnd: number;
    if (first >= 0x30 && first <= 0x39) {
      // RFC 3339 has no space in it: the first word.
      stampEnd = text.indexOf(' ', at);
    } else if (first >= 0x41 && first <= 0x5a) {
      // "Mmm dd hh:mm:ss[.fff]": spaces only before the time, which starts by offset 7.
      stampEnd = text.indexOf(' ', at + 7);
    } else {
      return undefined;
    }
    if (stampEnd < 0 || stampEnd > end) stampEnd = end;
    return timeOf(parse(text.slice(at, stampEnd), mtimeMs));
  };

  return {
    keeps(text, start, end) {
      const time = lineTime(text, start, end);
      if (time !== undefined) keep = time >= since && time <= until;
      return keep;
    },
  };
}
