import { describe, expect, it } from 'vitest';
import type { StateStore } from '../../../../../agent/pipeline/types.ts';
import { type FileCheckpoint, FileCheckpoints } from '../../../../../agent/sources/file/checkpoint.ts';
import { fingerprintOf } from '../../../../../agent/sources/file/identity.ts';
import { MemoryStore } from './harness.ts';

const HEAD = Buffer.from('May  5 05:05:05 h a: first line\n');

function entry(key: string, overrides: Partial<FileCheckpoint> = {}): FileCheckpoint {
  const fp = fingerprintOf(HEAD);
  if (!fp) throw new Error('no fingerprint');
  return {
    key,
    dev: 1,
    ino: 2,
    fpLength: fp.length,
    fpHash: fp.hash,
    offset: 0,
    skipping: false,
    complete: false,
    path: '/var/log/x',
    seenAt: 1000,
    ...overrides,
  };
}

describe('file checkpoints', () => {
  it('saves nothing on registration, and an acknowledged offset once committed', async () => {
    const store = new MemoryStore();
    const book = new FileCheckpoints(store, { intervalMs: 60_000 });
    book.add(entry('a'));
    await book.flush();
    expect(store.saves).toBe(0);
    book.commit('a', 120, false, false, 2000);
    await book.flush();
    const again = new FileCheckpoints(store);
    await again.load();
    expect(again.get('a')).toMatchObject({ offset: 120, seenAt: 2000 });
  });

  it('coalesces commits within the interval into one save', async () => {
    const store = new MemoryStore();
    const book = new FileCheckpoints(store, { intervalMs: 60_000 });
    book.add(entry('a'));
    for (let offset = 1; offset <= 100; offset++) book.commit('a', offset, false, false, 2000);
    await book.flush();
    expect(store.saves).toBe(1);
  });

  it('treats a saved value it does not understand as absent', async () => {
    const store = new MemoryStore();
    await store.save('file-source', { version: 99, files: 'nonsense' });
    const book = new FileCheckpoints(store);
    await book.load();
    expect(book.all()).toEqual([]);
  });

  it('finds a file by inode only when its first bytes match (inode reuse), and a copy by content', () => {
    const book = new FileCheckpoints(new MemoryStore());
    book.add(entry('a', { dev: 1, ino: 2 }));
    expect(book.findByInode(1, 2, HEAD)?.key).toBe('a');
    expect(book.findByInode(1, 2, Buffer.from('May  6 06:06:06 h a: a new file on a reused inode\n'))).toBeUndefined();
    expect(book.findByInode(1, 3, HEAD)).toBeUndefined();
    expect(book.findByContent(HEAD)?.key).toBe('a');
    expect(book.findByContent(HEAD, new Set(['a']))).toBeUndefined();
  });

  it('gives a file rewritten in place the next generation, found before the older ones, the same after a reload', async () => {
    const store = new MemoryStore();
    const book = new FileCheckpoints(store);
    const fp = fingerprintOf(HEAD);
    if (!fp) throw new Error('no fingerprint');
    const first = book.registerNew('/var/log/x', 1, 2, fp, 1000);
    expect(first.key).toMatch(/^1:2:[0-9a-f]{16}$/);
    book.commit(first.key, 500, false, false, 1000, { tail: { end: 500, length: 64, hash: 'ab' }, size: 700 });
    const second = book.registerNew('/var/log/x', 1, 2, fp, 2000);
    expect(second.key).toBe(`${first.key}:g1`);
    expect(book.findByInode(1, 2, HEAD)?.key).toBe(second.key);
    await book.flush();
    const reloaded = new FileCheckpoints(store);
    await reloaded.load();
    expect(reloaded.get(first.key)).toMatchObject({ offset: 500, size: 700, tail: { end: 500, length: 64 } });
    // The same rewrite seen again after a crash that lost the second registration gets the same key.
    const again = new FileCheckpoints(new MemoryStore());
    again.add({ ...first });
    expect(again.registerNew('/var/log/x', 1, 2, fp, 3000).key).toBe(second.key);
  });

  it('forgets identities not seen for long, except those in use', () => {
    const book = new FileCheckpoints(new MemoryStore());
    book.add(entry('old', { seenAt: 10 }));
    book.add(entry('busy', { seenAt: 10 }));
    book.add(entry('recent', { seenAt: 5000 }));
    book.prune(1000, new Set(['busy']));
    expect(
      book
        .all()
        .map((e) => e.key)
        .sort(),
    ).toEqual(['busy', 'recent']);
  });

  it('reports a failed save and saves again with the next flush', async () => {
    let fail = true;
    const inner = new MemoryStore();
    const store: StateStore = {
      load: (name) => inner.load(name),
      save: async (name, value) => {
        if (fail) throw new Error('disk full');
        await inner.save(name, value);
      },
    };
    const errors: unknown[] = [];
    const book = new FileCheckpoints(store, { intervalMs: 60_000, onError: (error) => errors.push(error) });
    book.add(entry('a'));
    book.commit('a', 50, false, false, 2000);
    await book.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    await book.flush();
    expect(inner.saves).toBe(1);
  });
});
