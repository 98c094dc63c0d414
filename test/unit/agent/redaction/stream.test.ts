import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../../agent/redaction/index.ts';
import { tempDir } from '../../../helpers/temp.ts';

const siteKey = Buffer.alloc(32, 9);

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

function collector(): { stream: Writable; bytes: () => Promise<Buffer> } {
  const parts: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, done) {
      parts.push(chunk);
      setImmediate(done); // a slow reader: the writer has to wait for 'drain'
    },
  });
  const bytes = async () => {
    stream.end();
    await finished(stream);
    return Buffer.concat(parts);
  };
  return { stream, bytes };
}

const newlines = (data: Buffer) => data.reduce((n, byte) => n + (byte === 10 ? 1 : 0), 0);

describe('redactStream', () => {
  it('passes invalid UTF-8 and NUL bytes through byte for byte, and still finds secrets beside them', async () => {
    const input = Buffer.concat([
      Buffer.from('ok \xff\xfe\x00 password=hunter2x \xc3\x28\r\n', 'latin1'),
      Buffer.from('caf\u00e9 10.1.2.3 \u{1f600}\n', 'utf8'),
      Buffer.from([0x00, 0x00, 0x0a]),
    ]);
    const out = collector();
    const report = await createRedactor({ siteKey }).redactStream(chunksOf(input, 7), out.stream);
    const bytes = await out.bytes();
    expect(newlines(bytes)).toBe(3);
    expect(bytes.subarray(0, 6)).toEqual(Buffer.from('ok \xff\xfe\x00', 'latin1'));
    expect(bytes.toString('latin1')).toContain('password=[REDACTED:secret-assignment] \xc3\x28\r\n');
    expect(bytes.toString('utf8')).toContain('caf\u00e9 198.1');
    expect(bytes.toString('utf8')).toContain('\u{1f600}\n');
    expect(report.lines).toBe(3);
    expect(report.counts.total).toBe(2);
  });

  it('handles a 10 MB line with a secret at its end as one line', async () => {
    const line = `${'x'.repeat(10 * 1024 * 1024)} password=hunter2x\n`;
    const input = Buffer.from(`before\n${line}after token=abcdef12\n`);
    const out = collector();
    const report = await createRedactor({ siteKey }).redactStream(chunksOf(input, 65536), out.stream);
    const text = (await out.bytes()).toString('latin1');
    expect(report.lines).toBe(3);
    expect(text.split('\n')).toHaveLength(4);
    expect(text).not.toContain('hunter2x');
    expect(text.endsWith('after token=[REDACTED:secret-assignment]\n')).toBe(true);
  });

  it('masks a line too long to hold whole instead of passing it through', async () => {
    const input = Buffer.from(`one\n${'y'.repeat(5000)} password=hunter2x\r\nthree\n`);
    const out = collector();
    const report = await createRedactor({ siteKey }).redactStream(chunksOf(input, 512), out.stream, {
      maxLineBytes: 1024,
    });
    expect((await out.bytes()).toString()).toBe('one\n[REDACTED:line-too-long]\r\nthree\n');
    expect(report.counts.by_rule['line-too-long']).toBe(1);
  });

  it('gives the same output on worker threads, also when a PEM key spans batches', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) {
      lines.push(`2024-03-14T10:11:12Z line ${i} from 10.1.${i % 200}.${i % 250} user u${i}@bank.co.uk`);
      if (i % 997 === 0) {
        lines.push('-----BEGIN RSA PRIVATE KEY-----');
        for (let j = 0; j < 30; j++)
          lines.push(`MIIEowIBAAKCAQEA${String(j).padStart(4, '0')}q9Xb1Lr7Tm4Wc0Ys8Nh5Jp2Vd6Ke3Ra`);
        lines.push('-----END RSA PRIVATE KEY-----');
      }
    }
    const input = Buffer.from(`${lines.join('\n')}\n`);
    const redactor = createRedactor({ siteKey, literals: ['u1234@bank.co.uk'] });
    const serial = collector();
    const one = await redactor.redactStream(chunksOf(input, 4096), serial.stream, { batchBytes: 8192 });
    const parallel = collector();
    const two = await redactor.redactStream(chunksOf(input, 4096), parallel.stream, {
      batchBytes: 8192,
      workers: 2,
      parallelAfterBytes: 0,
    });
    const serialBytes = await serial.bytes();
    expect((await parallel.bytes()).equals(serialBytes)).toBe(true);
    expect(two).toEqual(one);
    expect(serialBytes.toString()).not.toMatch(/MIIEowIBAAKCAQEA/);
  });

  it('redacts a file by path', async () => {
    const dir = tempDir('shiplog-redact-file-');
    writeFileSync(join(dir, 'in.log'), 'a secret=abcdefgh1\nb\n');
    const report = await createRedactor({ siteKey }).redactFile(join(dir, 'in.log'), join(dir, 'out.log'));
    expect(readFileSync(join(dir, 'out.log'), 'utf8')).toBe('a secret=[REDACTED:secret-assignment]\nb\n');
    expect(report).toMatchObject({ lines: 2, bytes_in: 21 });
    await expect(createRedactor({ siteKey }).redactFile(join(dir, 'missing.log'), join(dir, 'x'))).rejects.toThrow(
      expect.objectContaining({ code: 'SHIPLOG_ERR_REDACTION_IO' }),
    );
  });
});

describe('scanStream', () => {
  it('reports line numbers and byte columns across chunks, changing nothing', async () => {
    const input = new PassThrough();
    input.end('first\nsecond password=hunter2x\n\xff third 10.1.2.3\n');
    const report = await createRedactor({ siteKey }).scanStream(input);
    expect(report.findings.map(({ rule, line, column }) => ({ rule, line, column }))).toEqual([
      { rule: 'secret-assignment', line: 2, column: 17 },
      { rule: 'ipv4', line: 3, column: 10 },
    ]);
    expect(report.lines).toBe(3);
  });
});

describe('operator prefilters over a chunk of lines', () => {
  // A line at a time (a bundle's line session) and a chunk of lines at once (streams, staging workers) must agree.
  const redactorWith = (prefilter: string) => {
    const dir = tempDir('shiplog-prefilter-');
    const pack = join(dir, 'site.yaml');
    writeFileSync(
      pack,
      [
        'name: site',
        'version: 1.0.0',
        'rules:',
        '  - id: site-ticket',
        '    category: operator',
        `    prefilter: '${prefilter}'`,
        "    regex: 'TCK-[0-9]{6}'",
        '',
      ].join('\n'),
    );
    return createRedactor({ siteKey, extraPacks: [pack] });
  };
  const lines = ['TCK-123456 opened', 'a then TCK-222222 b', 'TCK-333333 aaa', 'zzz', 'b TCK-444444'];

  it.each([
    ['an anchor', '^TCK'],
    ['a class that could run into the next line', 'a[^z]*b'],
    ['\\s', 'TCK-\\d+\\s'],
  ])('find with %s what they find line by line', async (_name, prefilter) => {
    const redactor = redactorWith(prefilter);
    const session = redactor.lineSession();
    const expected = lines.map((line) => session.line(line)).join('\n');
    const out = collector();
    await redactor.redactStream(chunksOf(Buffer.from(`${lines.join('\n')}\n`), 1 << 20), out.stream);
    expect((await out.bytes()).toString()).toBe(`${expected}\n`);
  });
});
