// The file viewer's pages: lines by number, long lines cut and marked,
// bytes that are not UTF-8 shown as U+FFFD, binary files recognised.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maxLineChars, readTextPage } from '../../../collector/text-pages.ts';
import { tempDir } from '../../helpers/temp.ts';

const dir = tempDir('shiplog-text-pages-');
let n = 0;
function file(body: string | Buffer): string {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, body);
  return path;
}

describe('readTextPage', () => {
  const numbered = file(Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`).join('\n'));

  it('answers the lines asked for, numbered from 1, and where the next page starts', async () => {
    const page = await readTextPage(numbered, 1, 3);
    expect(page.lines).toEqual([
      { n: 1, text: 'line 1' },
      { n: 2, text: 'line 2' },
      { n: 3, text: 'line 3' },
    ]);
    expect(page.next).toBe(4);
  });

  it('starts in the middle and ends without a next page at the last line (no final newline)', async () => {
    const page = await readTextPage(numbered, 998, 10);
    expect(page.lines.map((line) => line.text)).toEqual(['line 998', 'line 999', 'line 1000']);
    expect(page.next).toBeUndefined();
  });

  it('answers no lines past the end', async () => {
    expect((await readTextPage(numbered, 5000, 10)).lines).toEqual([]);
  });

  it('cuts a 1 MB line at the limit and says so, and the next line is whole', async () => {
    const page = await readTextPage(file(`${'x'.repeat(1024 * 1024)}\nafter\n`), 1, 5);
    expect(page.lines[0]?.text.length).toBe(maxLineChars);
    expect(page.lines[0]?.cut).toBe(true);
    expect(page.lines[1]).toEqual({ n: 2, text: 'after' });
  });

  it('drops the CR of CRLF line ends and shows bytes that are not UTF-8 as U+FFFD', async () => {
    const body = Buffer.concat([Buffer.from('crlf\r\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from(' end\n')]);
    const page = await readTextPage(file(body), 1, 5);
    expect(page.lines.map((line) => line.text)).toEqual(['crlf', 'bad \ufffd\ufffd end']);
  });

  it('keeps a character split across two reads whole', async () => {
    // 256 KiB reads: put a 4-byte character across the first boundary.
    const first = `${'b'.repeat(256 * 1024 - 100)}\n`;
    const body = Buffer.concat([Buffer.from(first), Buffer.alloc(97, 'a'), Buffer.from('😀\n', 'utf8')]);
    const page = await readTextPage(file(body), 2, 1);
    expect(page.lines[0]?.text).toBe(`${'a'.repeat(97)}😀`);
  });

  it('calls a file with a NUL byte binary and gives no lines', async () => {
    const page = await readTextPage(file(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01])), 1, 10);
    expect(page).toEqual({ binary: true, lines: [] });
  });
});
