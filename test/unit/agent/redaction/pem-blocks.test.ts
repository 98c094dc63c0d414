// A PEM block whose BEGIN has no END (a log cut off, a key printed half):
// the engine must mask everything after the BEGIN, however long, and say in
// its counts that the block was cut (issue #10, item 10: only 200 lines were
// masked, and the key lines after them came through).
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../../agent/redaction/index.ts';

const siteKey = Buffer.alloc(32, 5);

/** `lines` lines of 64 base64 characters, as a PEM body has them. */
function keyBody(lines: number): string[] {
  return Array.from({ length: lines }, () => randomBytes(48).toString('base64'));
}

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

function sink(): { stream: Writable; text: () => Promise<string> } {
  const parts: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      parts.push(chunk);
      done();
    },
  });
  return {
    stream,
    text: async () => {
      stream.end();
      await finished(stream);
      return Buffer.concat(parts).toString('latin1');
    },
  };
}

function expectNoKeyLine(out: string, body: readonly string[]): void {
  const leaked = body.filter((line) => out.includes(line));
  expect(leaked, `${leaked.length} of ${body.length} key lines came through`).toEqual([]);
}

describe('a PEM block with no END', () => {
  const body = keyBody(450);
  const input = ['starting worker', '-----BEGIN RSA PRIVATE KEY-----', ...body].join('\n');

  it('masks every key line after the BEGIN, past 200 lines, and counts the block as unterminated', () => {
    const { text, counts } = createRedactor({ siteKey }).redactText(input);
    expectNoKeyLine(text, body);
    const lines = text.split('\n');
    expect(lines.slice(0, 2)).toEqual(['starting worker', '-----BEGIN RSA PRIVATE KEY-----']);
    expect(new Set(lines.slice(2))).toEqual(new Set(['[REDACTED:private-key]']));
    expect(counts.by_rule['private-key']).toBe(450);
    expect(counts.by_rule['private-key:unterminated']).toBe(1);
    // The note counts no replaced value.
    expect(counts.total).toBe(450);
  });

  it('masks the rest of a stream, redacted in small batches, on this thread and on workers alike', async () => {
    const trailer = Array.from({ length: 2000 }, (_, i) => `2024-03-14T10:11:12Z after the key line ${i}`);
    const bytes = Buffer.from(`${input}\n${trailer.join('\n')}\n`);
    const redactor = createRedactor({ siteKey });
    const serial = sink();
    const one = await redactor.redactStream(chunksOf(bytes, 4096), serial.stream, { batchBytes: 8192 });
    const parallel = sink();
    const two = await redactor.redactStream(chunksOf(bytes, 4096), parallel.stream, {
      batchBytes: 8192,
      workers: 2,
      parallelAfterBytes: 0,
    });
    const out = await serial.text();
    expect(await parallel.text()).toBe(out);
    expect(two).toEqual(one);
    expectNoKeyLine(out, body);
    // Nothing after the BEGIN comes through as it was: a line shaped like key
    // text loses that text (here the last word, after the log prefix), any other line all of it.
    const after = out.split('\n').slice(2, -1);
    expect(after).toHaveLength(body.length + trailer.length);
    expect(after.filter((line) => !line.includes('[REDACTED:private-key]'))).toEqual([]);
    expect(one.counts.by_rule['private-key:unterminated']).toBe(1);
  });

  it('goes on masking past a log line in the middle of the key, and key text in any shape', () => {
    const { text, counts } = createRedactor({ siteKey }).redactText(
      [
        '-----BEGIN PRIVATE KEY-----',
        ...body.slice(0, 3),
        'WARN reload requested, key dump interrupted.',
        `"${body[3]}",`,
        `${body[4]} ${body[5]}`,
        ...body.slice(6, 8),
        '-----END PRIVATE KEY-----',
        'key loaded',
      ].join('\n'),
    );
    expectNoKeyLine(text, body.slice(0, 8));
    expect(text.split('\n')[4]).toBe('[REDACTED:private-key]');
    expect(text.split('\n').slice(-2)).toEqual(['-----END PRIVATE KEY-----', 'key loaded']);
    expect(counts.by_rule['private-key:unterminated']).toBeUndefined();
  });

  it('ends at the next BEGIN: the first block counts as cut, the second ends normally', () => {
    const second = keyBody(5);
    const { text, counts } = createRedactor({ siteKey }).redactText(
      [
        '-----BEGIN EC PRIVATE KEY-----',
        ...body.slice(0, 10),
        '-----BEGIN EC PRIVATE KEY-----',
        ...second,
        '-----END EC PRIVATE KEY-----',
        'service ready',
      ].join('\n'),
    );
    expectNoKeyLine(text, [...body.slice(0, 10), ...second]);
    expect(text.endsWith('-----END EC PRIVATE KEY-----\nservice ready')).toBe(true);
    expect(counts.by_rule['private-key:unterminated']).toBe(1);
  });

  it('masks key material before the END of a JSON-escaped key cut over two lines, and keeps a log prefix', () => {
    const { text } = createRedactor({ siteKey }).redactText(
      [
        `{"tls_key": "-----BEGIN PRIVATE KEY-----\\n${body[0]}\\n${body[1]}`,
        `${body[2]}\\n-----END PRIVATE KEY-----\\n"}`,
        'Mar 14 10:11:12 node04 app[42]: -----BEGIN OPENSSH PRIVATE KEY-----',
        `Mar 14 10:11:12 node04 app[42]: ${body[3]}`,
        'Mar 14 10:11:12 node04 app[42]: -----END OPENSSH PRIVATE KEY-----',
      ].join('\n'),
    );
    expectNoKeyLine(text, body.slice(0, 4));
    expect(text.split('\n').at(-1)).toBe('Mar 14 10:11:12 node04 app[42]: -----END OPENSSH PRIVATE KEY-----');
  });

  it('keeps the block open over a line too long to hold', async () => {
    const bytes = Buffer.from(
      ['-----BEGIN PRIVATE KEY-----', ...body.slice(0, 5), 'z'.repeat(5000), ...body.slice(5, 10), ''].join('\n'),
    );
    const out = sink();
    const report = await createRedactor({ siteKey }).redactStream(chunksOf(bytes, 512), out.stream, {
      maxLineBytes: 1024,
    });
    expectNoKeyLine(await out.text(), body.slice(0, 10));
    expect(report.counts.by_rule['private-key:unterminated']).toBe(1);
  });

  it('is left as it is by a second pass, which finds nothing (the release check)', async () => {
    const redactor = createRedactor({ siteKey });
    const once = redactor.redactText(`${input}\nWARN still loading\n`).text;
    expect(redactor.redactText(once).text).toBe(once);
    expect(redactor.scanText(once).findings).toEqual([]);
    const scan = await redactor.scanStream(chunksOf(Buffer.from(input), 1000));
    expect(scan.counts.by_rule['private-key:unterminated']).toBe(1);
  });

  it('counts a cut block in a line session (a staged file) only once its input has ended without the END', () => {
    const session = createRedactor({ siteKey }).lineSession();
    session.lines(`-----BEGIN PRIVATE KEY-----\n${body.slice(0, 300).join('\n')}\n`);
    expect(session.counts.by_rule['private-key:unterminated']).toBe(1);
    session.lines('-----END PRIVATE KEY-----\nnext\n');
    expect(session.counts.by_rule['private-key:unterminated']).toBeUndefined();
    expect(session.counts.by_rule['private-key']).toBe(300);
  });
});
