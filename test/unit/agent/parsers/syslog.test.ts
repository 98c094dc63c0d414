import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSyslogParser, type ParsedSyslog } from '../../../../agent/parsers/syslog.ts';

interface Case {
  name: string;
  line: string;
  zone?: string;
  readAt?: string;
  expect?: Record<string, unknown>;
  absent?: string[];
  readTimeStamp?: boolean;
}

function corpus(file: string): Case[] {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/syslog/${file}`, import.meta.url), 'utf8')) as Case[];
}

function field(parsed: ParsedSyslog, path: string): unknown {
  let value: unknown = parsed;
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

const READ_AT = '2026-09-01T12:00:00Z';

function check(c: Case): void {
  const readMs = Date.parse(c.readAt ?? READ_AT);
  const parsed = createSyslogParser({ timezone: c.zone ?? 'UTC' })(c.line, readMs);
  expect(parsed.parse_failure, `${c.name}: ${parsed.parse_failure}`).toBeUndefined();
  expect(parsed).toMatchObject(c.expect ?? {});
  for (const path of c.absent ?? []) expect(field(parsed, path), path).toBeUndefined();
  if (c.readTimeStamp) expect(parsed['@timestamp']).toBe(new Date(readMs).toISOString());
}

describe('syslog parser: traditional (RFC 3164 as rsyslog writes it)', () => {
  it.each(corpus('traditional.json').map((c) => [c.name, c] as const))('%s', (_name, c) => check(c));

  it('uses the host zone for timezone "local"', () => {
    const parse = createSyslogParser({ timezone: 'local' });
    const parsed = parse('Jan 15 09:30:00 h app: x', Date.UTC(2026, 0, 15, 12));
    const expected = new Date(2026, 0, 15, 9, 30, 0).toISOString();
    expect(parsed['@timestamp']).toBe(expected);
  });

  it('rejects a zone Intl does not know at construction', () => {
    expect(() => createSyslogParser({ timezone: 'Mars/Olympus_Mons' })).toThrow(RangeError);
  });

  it('reads lines of the same second after a cache hit identically', () => {
    const parse = createSyslogParser({ timezone: 'Europe/Zurich' });
    const now = Date.UTC(2026, 5, 1, 12);
    const first = parse('Jun  1 14:00:00 h a[1]: one', now);
    const second = parse('Jun  1 14:00:00 h b[2]: two', now);
    const other = parse('Jun  1 14:00:01 h c: three', now);
    expect(first['@timestamp']).toBe('2026-06-01T12:00:00.000Z');
    expect(second).toMatchObject({ '@timestamp': first['@timestamp'], message: 'two', process: { pid: 2 } });
    expect(other['@timestamp']).toBe('2026-06-01T12:00:01.000Z');
  });
});

describe('syslog parser: RFC 3339 high-precision form', () => {
  it.each(corpus('rfc3339.json').map((c) => [c.name, c] as const))('%s', (_name, c) => check(c));

  it('converts any instant and offset to the same UTC instant, keeping every fraction digit', () => {
    const parse = createSyslogParser({ timezone: 'UTC' });
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1971, 0, 1) / 1000, max: Date.UTC(2099, 0, 1) / 1000 }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.stringMatching(/^\d{0,9}$/),
        (epochSecond, offsetMinutes, fraction) => {
          const wall = new Date((epochSecond + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const stamp = `${wall}${fraction ? `.${fraction}` : ''}${offset}`;
          const parsed = parse(`${stamp} host app[1]: x`, Date.now());
          const utc = new Date(epochSecond * 1000).toISOString().slice(0, 19);
          expect(parsed['@timestamp']).toBe(`${utc}.${fraction.padEnd(3, '0')}Z`);
        },
      ),
    );
  });
});

describe('syslog parser: RFC 5424', () => {
  it.each(corpus('rfc5424.json').map((c) => [c.name, c] as const))('%s', (_name, c) => check(c));
});

describe('syslog parser: lines that do not parse', () => {
  const readMs = Date.parse(READ_AT);

  it.each(corpus('failures.json').map((c) => [c.name, c] as const))('%s is kept whole and flagged', (_name, c) => {
    const parsed = createSyslogParser({ timezone: 'UTC' })(c.line, readMs);
    expect(parsed.parse_failure).toEqual(expect.any(String));
    expect(parsed.message).toBe(c.line);
    expect(parsed['@timestamp']).toBe(READ_AT.replace('Z', '.000Z'));
  });

  it('never throws and never loses text, whatever the line', () => {
    const parse = createSyslogParser({ timezone: 'Europe/Zurich' });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc
            .constantFrom('<', '<1', '<13>1 ', 'Jan ', 'Jan  1 ', '2026-', '<13>1 - - - - - [')
            .chain((prefix) => fc.string({ maxLength: 80 }).map((rest) => prefix + rest)),
        ),
        (line) => {
          const parsed = parse(line, readMs);
          expect(Number.isNaN(Date.parse(parsed['@timestamp']))).toBe(false);
          if (parsed.parse_failure) expect(parsed.message).toBe(line);
          else expect(line.includes(parsed.message)).toBe(true);
        },
      ),
    );
  });

  it('infers no year that puts a line more than the tolerance into the future', () => {
    const parse = createSyslogParser({ timezone: 'UTC', futureToleranceMs: 60_000 });
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
        fc.integer({ min: -300 * 86_400_000, max: 0 }),
        (readMs, ago) => {
          const at = new Date(Math.floor((readMs + ago) / 1000) * 1000);
          const day = String(at.getUTCDate()).padStart(2, ' ');
          const time = at.toISOString().slice(11, 19);
          const parsed = parse(`${months[at.getUTCMonth()]} ${day} ${time} h a: x`, readMs);
          expect(parsed['@timestamp']).toBe(at.toISOString());
        },
      ),
    );
  });
});
