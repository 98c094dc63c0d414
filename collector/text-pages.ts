// Pages of a bundle's text files for the file viewer: lines [first, first +
// count) of one unpacked file, read as a stream (a 200 MB log costs one pass
// up to the page, never the whole file in memory). A line longer than
// maxLineChars is cut and marked; bytes that are not UTF-8 become U+FFFD on
// the page (the file itself, and its download, keep them). A file with a
// NUL byte in its first 8 KiB is binary: no page, only its size.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

export const maxPageLines = 2000;
export const maxLineChars = 65_536;
const sniffBytes = 8192;

export interface TextLine {
  /** 1-based line number in the file. */
  readonly n: number;
  readonly text: string;
  /** The line was longer than maxLineChars and is cut there. */
  readonly cut?: true;
}

export interface TextPage {
  readonly binary: boolean;
  readonly lines: readonly TextLine[];
  /** The first line of the next page, when the file goes on. */
  readonly next?: number;
}

export async function isBinary(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(sniffBytes);
    const { bytesRead } = await handle.read(buffer, 0, sniffBytes, 0);
    return buffer.subarray(0, bytesRead).includes(0);
  } finally {
    await handle.close();
  }
}

export async function readTextPage(path: string, first: number, count: number): Promise<TextPage> {
  if (await isBinary(path)) return { binary: true, lines: [] };
  const lines: TextLine[] = [];
  const decoder = new TextDecoder('utf-8');
  let n = 1;
  let current = '';
  let cut = false;
  let more = false;
  const take = (text: string) => {
    decoder.decode(); // whatever a cut or skipped line left pending belongs to that line
    if (n >= first && lines.length < count) lines.push({ n, text, ...(cut && { cut: true as const }) });
    else if (lines.length >= count) more = true;
    n++;
    current = '';
    cut = false;
  };
  const wanted = () => n >= first && !cut;
  const append = (piece: string) => {
    const room = maxLineChars - current.length;
    if (piece.length > room) {
      current += piece.slice(0, room);
      cut = true;
    } else current += piece;
  };
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, start)) {
        if (wanted()) append(decoder.decode(chunk.subarray(start, at)));
        take(current.endsWith('\r') ? current.slice(0, -1) : current);
        start = at + 1;
        if (more) return { binary: false, lines, next: first + lines.length };
      }
      if (start < chunk.length && wanted()) append(decoder.decode(chunk.subarray(start), { stream: true }));
    }
    if (current !== '' || cut) take(current);
    if (more) return { binary: false, lines, next: first + lines.length };
    return { binary: false, lines };
  } finally {
    stream.destroy();
  }
}
