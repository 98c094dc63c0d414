import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GzipReader, type LineRecord, LineSplitter, PlainReader } from '../../../../../agent/sources/file/reader.ts';

function split(chunks: Buffer[], max = 1024, position = 0, skipping = false) {
  const splitter = new LineSplitter(max, position, skipping);
  const out: LineRecord[] = [];
  for (const chunk of chunks) splitter.push(chunk, out);
  return { splitter, out };
}

describe('LineSplitter', () => {
  it('gives each line with its byte offsets and holds back a trailing partial line', () => {
    const { splitter, out } = split([Buffer.from('one\ntwo\r\nthr'), Buffer.from('ee\nfour')]);
    expect(out.map((r) => [r.text, r.start, r.end])).toEqual([
      ['one', 0, 4],
      ['two', 4, 9],
      ['three', 9, 15],
    ]);
    expect(splitter.held).toBe(4);
    const last: LineRecord[] = [];
    splitter.finish(last);
    expect(last.map((r) => [r.text, r.start, r.end])).toEqual([['four', 15, 19]]);
  });

  it('counts offsets in bytes, not characters', () => {
    const { out } = split([Buffer.from('grüße\nnext\n')]);
    expect(out.map((r) => [r.text, r.start, r.end, r.bytes])).toEqual([
      ['grüße', 0, 8, 7],
      ['next', 8, 13, 4],
    ]);
  });

  it('flags a line that is not UTF-8 and replaces the bad bytes', () => {
    const { out } = split([Buffer.concat([Buffer.from('bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' end\nok\n')])]);
    expect(out[0]).toMatchObject({ text: 'bad \ufffd\ufffd end', invalidUtf8: true });
    expect(out[1]).toMatchObject({ text: 'ok', invalidUtf8: false });
  });

  it('cuts a line past the cap on a character boundary and skips its tail up to the newline', () => {
    // A cap of 19 bytes falls inside the tenth 'é' (bytes 18-19): the cut backs off to 18.
    const line = Buffer.from('é'.repeat(10) + 'x'.repeat(30));
    const { splitter, out } = split([line, Buffer.from('y'.repeat(50)), Buffer.from('zz\nnext\n')], 19);
    expect(out.map((r) => [r.text, r.truncated, r.start])).toEqual([
      ['é'.repeat(9), true, 0],
      ['next', false, 103],
    ]);
    expect(out[0]?.skipping).toBe(true);
    expect(splitter.held).toBe(0);
  });

  it('resumes in the middle of a cut line by skipping to its newline', () => {
    const { out } = split([Buffer.from('tail of a long line\nfresh\n')], 1024, 5000, true);
    expect(out.map((r) => [r.text, r.start])).toEqual([['fresh', 5020]]);
  });

  it('gives the same lines however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'é', '\n', '\r\n', '\r', 'xyz', '\u{1F600}'), { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
        (pieces, sizes) => {
          const bytes = Buffer.from(pieces.join(''));
          const whole = split([bytes], 16);
          const chunks: Buffer[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = sizes[i % sizes.length] ?? 1;
            chunks.push(bytes.subarray(at, at + size));
            at += size;
          }
          const chunked = split(chunks, 16);
          expect(chunked.out).toEqual(whole.out);
          expect(chunked.splitter.held).toBe(whole.splitter.held);
        },
      ),
    );
  });
});

describe('chunk readers', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shiplog-reader-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('PlainReader reads from an offset and says when there is nothing more', async () => {
    const path = join(dir, 'plain.log');
    await writeFile(path, 'abcdef');
    const reader = new PlainReader(await open(path, 'r'), 4);
    expect((await reader.read(1))?.toString()).toBe('bcde');
    expect((await reader.read(5))?.toString()).toBe('f');
    expect(await reader.read(6)).toBeNull();
    await reader.close();
  });

  it('GzipReader decompresses from the start and skips to the offset', async () => {
    const path = join(dir, 'rotated.log.1.gz');
    const text = 'line one\nline two\nline three\n';
    await writeFile(path, gzipSync(text));
    const reader = new GzipReader(path);
    const parts: string[] = [];
    for (let chunk = await reader.read(9); chunk; chunk = await reader.read(9 + parts.join('').length)) {
      parts.push(chunk.toString());
    }
    expect(parts.join('')).toBe(text.slice(9));
    await reader.close();
  });

  it('GzipReader reports a .gz that ends early (still being compressed) as an error', async () => {
    const path = join(dir, 'partial.gz');
    await writeFile(path, gzipSync(randomBytes(100_000).toString('hex')).subarray(0, 2000));
    const reader = new GzipReader(path);
    await expect(
      (async () => {
        while (await reader.read(0));
      })(),
    ).rejects.toThrow();
    await reader.close();
  });
});
