import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkTail, TAIL_BYTES, TailBytes } from '../../../../../agent/sources/file/tail.ts';

let dir = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shiplog-file-tail-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function withFile<T>(content: string, use: (handle: import('node:fs/promises').FileHandle) => Promise<T>) {
  const path = join(dir, 'f');
  await writeFile(path, content);
  const handle = await open(path, 'r');
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

describe('tail of what was read', () => {
  it('keeps the last KiB across small and large chunks, and starts over after a jump', () => {
    const tail = new TailBytes();
    tail.push(Buffer.from('abc'), 3);
    tail.push(Buffer.from('def'), 6);
    expect(tail.length).toBe(6);
    tail.push(Buffer.alloc(TAIL_BYTES + 10, 'x'), 6 + TAIL_BYTES + 10);
    expect(tail.length).toBe(TAIL_BYTES);
    tail.push(Buffer.from('zz'), 10_000);
    expect(tail.length).toBe(2);
    expect(tail.end).toBe(10_000);
  });

  it('holds while the file still has the bytes where they were read, and not once they changed', async () => {
    const tail = new TailBytes();
    tail.push(Buffer.from('line one\nline two\n'), 18);
    expect(await withFile('line one\nline two\nline three\n', (h) => tail.heldBy(h))).toBe(true);
    expect(await withFile('line one\nline 2!\nline three\n', (h) => tail.heldBy(h))).toBe(false);
    expect(await withFile('line one\n', (h) => tail.heldBy(h))).toBe(false);
  });

  it('checks a saved mark: same, changed bytes, or a file now shorter than where it ends', async () => {
    const tail = new TailBytes();
    tail.push(Buffer.from('first\nsecond\n'), 13);
    const mark = tail.mark();
    if (!mark) throw new Error('no mark');
    expect(await withFile('first\nsecond\nthird\n', (h) => checkTail(h, mark, 19))).toBe('same');
    expect(await withFile('first\nSECOND\nthird\n', (h) => checkTail(h, mark, 19))).toBe('changed');
    expect(await withFile('first\n', (h) => checkTail(h, mark, 6))).toBe('changed');
    expect(new TailBytes().mark()).toBeUndefined();
  });
});
