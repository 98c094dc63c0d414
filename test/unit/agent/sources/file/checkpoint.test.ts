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
