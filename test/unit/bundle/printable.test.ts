// What a bundle controls must reach a terminal inert (issue #10 item 7):
// printable() for one value, terminalSafe() for a message made of such
// values, terminalSafeJson() for --json output that must still parse back.
import { describe, expect, it } from 'vitest';
import { printable, terminalSafe, terminalSafeJson } from '../../../bundle/printable.ts';

/** Characters a terminal acts on or that reorder text: C0 but tab and newline... and the rest. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const actsOnTerminal = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;

const hostile: [string, string, string][] = [
  ['clear screen', 'a\x1b[2Jb', 'a\\x1b[2Jb'],
  ['window title (OSC ... BEL)', '\x1b]0;title\x07', '\\x1b]0;title\\x07'],
  ['a fake verdict on a new line', 'host\nOK  signed by', 'host\\x0aOK  signed by'],
  ['carriage return', 'host\rOK', 'host\\x0dOK'],
  ['NUL, tab and DEL', '\x00\t\x7f', '\\x00\\x09\\x7f'],
  ['C1 CSI and NEL', '\u009b2J\u0085', '\\x9b2J\\x85'],
  ['bidi override and pop', '\u202eevil\u202c', '\\u202eevil\\u202c'],
  ['bidi isolates', '\u2066x\u2067y\u2068z\u2069', '\\u2066x\\u2067y\\u2068z\\u2069'],
  ['direction and Arabic letter marks', '\u200e\u200f\u061c', '\\u200e\\u200f\\u061c'],
  ['zero-width space, word joiner, BOM', '\u200b\u2060\ufeff', '\\u200b\\u2060\\ufeff'],
  ['line and paragraph separators', '\u2028\u2029', '\\u2028\\u2029'],
];

describe('printable', () => {
  it.each(hostile)('escapes %s', (_, text, expected) => {
    expect(printable(text)).toBe(expected);
    expect(printable(text)).not.toMatch(actsOnTerminal);
  });

  it('keeps ordinary text, accents, other scripts and emoji as they are', () => {
    for (const text of ['bank-host-01', 'Zürich café', '東京 サーバー', 'שרת', 'log 🚀 ok', '2024-03-14T10:00:00Z']) {
      expect(printable(text)).toBe(text);
    }
  });

  it('doubles a backslash, so an escape in the input cannot pass for an escaped control', () => {
    expect(printable('\\x1b')).toBe('\\\\x1b');
    expect(printable('\\x1b')).not.toBe(printable('\x1b'));
  });

  it('leaves nothing a terminal acts on, for every character of the Basic Multilingual Plane', () => {
    let all = '';
    for (let code = 0; code <= 0xffff; code++) all += String.fromCharCode(code);
    expect(printable(all, Number.POSITIVE_INFINITY)).not.toMatch(actsOnTerminal);
    expect(terminalSafe(all, Number.POSITIVE_INFINITY)).not.toMatch(actsOnTerminal);
  });

  it('cuts a long value and says how much was cut', () => {
    expect(printable('x'.repeat(300))).toBe(`${'x'.repeat(256)}... (44 more characters)`);
    expect(printable('\x1b'.repeat(20), 8)).toBe('\\x1b\\x1b... (72 more characters)');
  });
});

describe('terminalSafe', () => {
  it('escapes controls in a message but not the backslashes of escapes already made', () => {
    const message = `entry ${printable('a\x1b[2J')} is unsafe\nOK`;
    expect(terminalSafe(message)).toBe('entry a\\x1b[2J is unsafe\\x0aOK');
  });
});

describe('terminalSafeJson', () => {
  const value = {
    host: `bank${hostile.map(([, text]) => text).join('')}`,
    window: { since: '\u0085\u009b', until: '\u2028OK\u2029' },
    lone: '\ud800 half a pair',
    plain: 'Zürich 🚀',
  };

  it('parses back to the same value, with or without indentation', () => {
    expect(JSON.parse(terminalSafeJson(value))).toEqual(value);
    expect(JSON.parse(terminalSafeJson(value, 2))).toEqual(value);
  });

  it('writes every character a terminal acts on as an escape, and puts each value on one line', () => {
    const text = terminalSafeJson(value, 2);
    expect(text).not.toMatch(actsOnTerminal);
    expect(text.split('\n').filter((line) => /^\s*(OK|NOT OK)\b/.test(line))).toEqual([]);
    expect(text).toContain('"since": "\\u0085\\u009b"');
    expect(text).toContain('"plain": "Zürich 🚀"');
  });
});
