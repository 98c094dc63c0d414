import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWindowFilter } from '../../../../../agent/bundle/collect/syslog-window.ts';
import { createSyslogParser } from '../../../../../agent/parsers/syslog.ts';

const since = Date.parse('2026-11-25T00:00:00Z');
const until = Date.parse('2026-11-25T01:00:00Z');
const mtimeMs = Date.parse('2026-11-25T02:00:00Z');

/** The rule as the collector first wrote it: the parser on the whole line, then the window. */
function reference(lines: string[], timezone = 'UTC', mtime = mtimeMs): boolean[] {
  const parse = createSyslogParser({ timezone });
  let keep = mtime >= since && mtime <= until;
  return lines.map((line) => {
    const parsed = parse(line, mtime);
    if (parsed.parse_failure === undefined) {
      const time = Date.parse(parsed['@timestamp'].replace(/(\.\d{3})\d*/, '$1'));
      keep = time >= since && time <= until;
    }
    return keep;
  });
}

function filtered(lines: string[], timezone = 'UTC', mtime = mtimeMs): boolean[] {
  const filter = createWindowFilter({ timezone, since, until, mtimeMs: mtime });
  const text = lines.join('\n');
  const out: boolean[] = [];
  let start = 0;
  for (const line of lines) {
    out.push(filter.keeps(text, start, start + line.length));
    start += line.length + 1;
  }
  return out;
}

const examples = [
  '2026-11-25T00:30:00.123456+00:00 app-01 ledger[7]: inside',
  '2026-11-24T23:59:59.999Z app-01 ledger[7]: just before',
  '2026-11-25T00:00:00Z app-01 ledger[7]: at the start',
  '2026-11-25T01:00:00.000+00:00 host app: at the end',
  '2026-11-25T01:00:00.001+00:00 host app: just after',
  '2026-11-25T02:30:00+02:00 host app: offset puts it inside',
  '\tat com.vendor.ledger.Posting.apply(Posting.java:214)',
  'Nov 25 00:10:00 app-01 sshd[12]: traditional inside',
  'Nov 25 03:10:00 app-01 sshd[12]: traditional outside',
  'Nov  5 00:10:00 app-01 sshd[12]: padded day',
  'Nov 25 00:10:00.250 host app: with a fraction',
  'Nov 25 00:10:00',
  '2026-11-25T00:30:00Z',
  'Nov 25 00:10:00x host app: no space after the time',
  '2026-11-25T00:30:00Zx host: no space after the time',
  'Foo 25 00:10:00 host app: not a month',
  '<13>1 2026-11-25T00:20:00Z host app 1 - - RFC 5424 inside',
  '<13>1 2026-11-25T00:20:00Z host app 1 - [broken RFC 5424, header fails',
  '<13>Nov 25 00:40:00 host app: traditional with PRI',
  '<999>Nov 25 00:40:00 host app: bad PRI',
  '\ufeffNov 25 00:20:00 host app: BOM',
  '2026-11-25T00:30:00.123+00:00  app: empty hostname',
  '',
  'Nov 25 00:10:00 host',
  '2026-13-25T00:30:00Z host: no such month',
];

describe('the syslog window filter', () => {
  it('decides every example line as the parser on the whole line does', () => {
    // The filter sees latin1 text: encode the examples the way the file holds them.
    const latin1 = examples.map((line) => Buffer.from(line, 'utf8').toString('latin1'));
    expect(filtered(latin1)).toEqual(reference(examples));
    expect(filtered(latin1.slice(6))).toEqual(reference(examples.slice(6)));
  });

  it('tells the milliseconds apart within one second at both edges of the window', () => {
    const lines = [
      '2026-11-25T01:00:00.000Z a',
      '2026-11-25T01:00:00.001Z b',
      '2026-11-25T01:00:00.0001Z c',
      '2026-11-25T01:00:00.Z not a fraction',
      '2026-11-25T01:00:00.1Z d',
      '2026-11-25T01:00:00.000+00:00 e',
      '2026-11-25T01:00:00.000-00:01 f',
      '2026-11-25T01:00:00.000-00:01x g',
      '2026-11-24T23:59:59.999Z h',
      '2026-11-24T23:59:59.9999999Z i',
      '2026-11-25T00:00:00.0Z j',
      '2026-11-25T01:00:00.000Z',
      '2026-11-25T01:00:00.0005Z',
    ];
    expect(filtered(lines)).toEqual(reference(lines));
    expect(filtered(lines).slice(0, 3)).toEqual([true, false, true]);
  });

  it('keeps leading continuation lines when the file was written to within the window', () => {
    const lines = ['\tat first', 'Nov 25 03:10:00 host app: outside', '\tat later'];
    expect(filtered(lines, 'UTC', since + 1000)).toEqual([true, false, false]);
    expect(filtered(lines, 'UTC', until + 1000)).toEqual([false, false, false]);
  });

  it('ignores the CR of a CR LF line ending', () => {
    const filter = createWindowFilter({ timezone: 'UTC', since, until, mtimeMs: until + 1 });
    const text = '2026-11-25T00:30:00Z\r\n';
    expect(filter.keeps(text, 0, text.length - 1)).toBe(true);
  });

  it('agrees with the parser on arbitrary lines built from timestamp pieces', () => {
    const piece = fc.constantFrom(
      '2026-11-25T00:',
      '30:00',
      '.5',
      '.',
      '.123',
      '.0001234567',
      '.999',
      'Z',
      '+00:00',
      '+01:00',
      'Nov 25 ',
      'Nov  5 ',
      '00:59:59',
      '2026-11-25T00:59:59',
      '2026-11-25T01:00:00',
      '2026-11-25T02:00:00',
      '2026-11-24T23:59:59',
      'Nov 25 01:00:00',
      ' ',
      'host',
      'app[1]:',
      '<13>',
      '1 ',
      'x',
      '-',
      '\t',
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.array(piece, { maxLength: 8 }).map((parts) => parts.join('')),
          { maxLength: 6 },
        ),
        (lines) => {
          for (const timezone of ['UTC', 'Europe/Zurich']) {
            expect(filtered(lines, timezone)).toEqual(reference(lines, timezone));
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});
