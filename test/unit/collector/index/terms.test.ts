import { describe, expect, it } from 'vitest';
import { foldCodePoint, isTokenCodePoint, terms, tokenize } from '../../../../collector/index/terms.ts';
import { fts5Tokens, probeCodePoints } from './fts5-probe.ts';

const tricky = [
  'Connection refused by 10.0.0.1:8080',
  'fe80::1%eth0 and [2001:db8::1]:443',
  '/var/log/syslog /var/lib/docker/containers/abc/abc-json.log',
  'C:\\Windows\\System32\\drivers',
  'snake_case_name __dunder__ _leading trailing_',
  'dotted.name.here java.lang.IllegalStateException com.vendor.Foo$Bar',
  'user@example.com https://example.com/a?b=c&d=e#f',
  'key=value,other=2;x:y',
  '2026-03-01T12:00:00.123456789+01:00',
  'CamelCaseWord UPPER lower MiXeD',
  'café naïve Ünïcödé résumé',
  'cafe\u0301 decomposed e\u0308',
  'Straße STRASSE ẞ',
  'İstanbul ıi I',
  'ΟΔΟΣ οδος ΣΊΣΥΦΟΣ ς µ',
  'Привет МИР ёЁ',
  '日本語のログ 中文日志 한국어 로그',
  'ไทย العربية עברית हिन्दी',
  'emoji 😀 🤔 👍🏽 ❤️ 🇩🇪 x',
  '\u001b[31mERROR\u001b[0m \u001b[1;32mok\u001b[0m',
  'tab\there\r\nnewline\u0000nul',
  'nbsp\u00a0here ideographic\u3000space zero\u200bwidth',
  'number 42 4.2 -17 0x1F 1e10 ½ ² ④',
  'private\ue000use',
  'lone \ud800 surrogate \udfff end',
  `${'a'.repeat(3000)} long`,
  '',
  '!!! ... --- ***',
];

describe('token rule', () => {
  it('cuts the tricky strings exactly as FTS5 does', () => {
    expect(tricky.map(terms)).toEqual(fts5Tokens(tricky));
  });

  it('agrees with FTS5 on every code point: token character or separator, and folding', () => {
    // All of the BMP and plane 1 (emoji, historic scripts); the rest of the planes sampled.
    const ranges: [number, number, number][] = [
      [0, 0x1ffff, 1],
      [0x20000, 0x10ffff, 97],
    ];
    const mismatches: string[] = [];
    for (const [from, to, step] of ranges) {
      const probe = probeCodePoints(from, to);
      for (let cp = from; cp <= to; cp += step) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const token = probe.token[cp] === 1;
        if (token !== isTokenCodePoint(cp)) mismatches.push(`U+${cp.toString(16)} token ${token}`);
        else if (token && (probe.fold.get(cp) ?? cp) !== foldCodePoint(cp))
          mismatches.push(`U+${cp.toString(16)} fold`);
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
  }, 60_000);

  it('folds to a fixed point that stays a token character (so a query term reads back as itself)', () => {
    const unstable: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if ((cp >= 0xd800 && cp <= 0xdfff) || !isTokenCodePoint(cp)) continue;
      const folded = foldCodePoint(cp);
      if (!isTokenCodePoint(folded) || foldCodePoint(folded) !== folded) unstable.push(`U+${cp.toString(16)}`);
    }
    expect(unstable).toEqual([]);
  });

  it('gives offsets into the original text, in UTF-16 units', () => {
    const text = 'ÉTÉ 🤔x 10.0.0.1';
    const tokens = tokenize(text);
    expect(tokens.map((token) => [token.term, text.slice(token.start, token.end)])).toEqual([
      ['été', 'ÉTÉ'],
      ['🤔x', '🤔x'],
      ['10', '10'],
      ['0', '0'],
      ['0', '0'],
      ['1', '1'],
    ]);
  });
});
