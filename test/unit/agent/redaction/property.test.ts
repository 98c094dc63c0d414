// For random lines: the output has exactly as many lines as the input, and a
// secret planted anywhere in them never survives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../../agent/redaction/index.ts';

const redactor = createRedactor({ siteKey: Buffer.alloc(32, 4), literals: ['Lit3ral-S3cret-Value'] });

const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const token = (min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((chars) => chars.join(''));

/** A secret in one of the forms the built-in rules promise to catch, and the text that must vanish. */
const planted = fc.oneof(
  token(8, 24).map((value) => ({ text: `password=${value}x1`, secret: `${value}x1` })),
  token(16, 16).map((value) => ({ text: `AKIA${value.toUpperCase()}`, secret: `AKIA${value.toUpperCase()}` })),
  token(36, 36).map((value) => ({ text: `ghp_${value}`, secret: `ghp_${value}` })),
  token(10, 30).map((value) => ({ text: `postgres://app:${value}@db:5432/x`, secret: `:${value}@` })),
  token(20, 40).map((value) => ({ text: `Authorization: Bearer ${value}`, secret: value })),
  token(3, 12).map((value) => ({ text: `${value}@bank-mail.com`, secret: `${value}@bank-mail.com` })),
  fc.constant({ text: 'Lit3ral-S3cret-Value', secret: 'Lit3ral-S3cret-Value' }),
  fc.constant({ text: Buffer.from('x:Lit3ral-S3cret-Value').toString('base64'), secret: 'Lit3ral-S3cret-Value' }),
);

// Noise that may sit around a secret: printable text without newlines, quotes and separators.
const noise = fc.string({ maxLength: 40 }).map((text) => text.replace(/[\r\n]/g, ' '));
const separator = fc.constantFrom(' ', ' | ', '\t', ' msg="', '" ', ' [', '] ');

describe('property: lines and planted secrets', () => {
  it('keeps the line count for any text', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 30 }), (lines) => {
        const text = lines.join('\n');
        expect(redactor.redactText(text).text.split('\n')).toHaveLength(text.split('\n').length);
      }),
    );
  });

  it('never lets a planted secret through', () => {
    fc.assert(
      fc.property(
        noise,
        separator,
        planted,
        separator,
        noise,
        fc.boolean(),
        (before, left, secret, right, after, crlf) => {
          const line = `${before}${left}${secret.text}${right}${after}`;
          const text = `clean line\n${line}${crlf ? '\r\n' : '\n'}another`;
          const out = redactor.redactText(text).text;
          expect(out.split('\n')).toHaveLength(3);
          expect(out.split('\n')[1]?.endsWith(crlf ? '\r' : '')).toBe(true);
          const decoded = Buffer.from(secret.text, 'base64').toString('latin1');
          expect(out).not.toContain(secret.secret);
          if (decoded.includes(secret.secret)) expect(out).not.toContain(secret.text);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('redacts a batch of lines in a line session as it redacts each line alone', () => {
    const pem = [
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEAzzzzzzzzzzzzzzzzzzzzzzzzzz',
      '-----END RSA PRIVATE KEY-----',
    ];
    const line = fc.oneof(
      fc
        .tuple(noise, separator, planted, separator, noise)
        .map((parts) => parts.map((part) => (typeof part === 'string' ? part : part.text)).join('')),
      noise,
      fc.constantFrom(...pem, 'Lit3ral-S3cret-Value\r'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        const one = redactor.lineSession();
        const batch = redactor.lineSession();
        const expected = lines.map((text) => `${one.line(text)}\n`).join('');
        expect(batch.lines(lines.map((text) => `${text}\n`).join(''))).toBe(expected);
        expect(batch.counts).toEqual(one.counts);
      }),
      { numRuns: 500 },
    );
  });
});
