import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointStore, type CheckpointWarning } from '../../../../agent/checkpoint/store.ts';

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'shiplog-checkpoint-test-'));
  dir = join(root, 'checkpoints');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('checkpoint store', () => {
  it('saves and loads values, creating its directory, and answers undefined for an unknown name', async () => {
    const store = new CheckpointStore(dir);
    expect(await store.load('nothing')).toBeUndefined();
    await store.save('file:/var/log/messages', { inode: 42, offset: 1234 });
    expect(await store.load('file:/var/log/messages')).toEqual({ inode: 42, offset: 1234 });
    expect(await new CheckpointStore(dir).load('file:/var/log/messages')).toEqual({ inode: 42, offset: 1234 });
  });

  it('treats a corrupt file as absent and reports a warning instead of throwing', async () => {
    const warnings: CheckpointWarning[] = [];
    const store = new CheckpointStore(dir, { onWarning: (warning) => warnings.push(warning) });
    await store.save('docker-abc', { since: '1.5' });
    await writeFile(store.path('docker-abc'), '{"since": "1.');
    expect(await store.load('docker-abc')).toBeUndefined();
    await writeFile(store.path('docker-abc'), Buffer.alloc(64));
    expect(await store.load('docker-abc')).toBeUndefined();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ name: 'docker-abc', reason: expect.stringMatching(/not valid JSON/) });
    expect(store.stats.warnings).toBe(2);
    // Saving again repairs it.
    await store.save('docker-abc', { since: '2.0' });
    expect(await store.load('docker-abc')).toEqual({ since: '2.0' });
  });

  it('is not confused by a temp file left by a crash in the middle of a save', async () => {
    const store = new CheckpointStore(dir);
    await store.save('es', { offset: 1 });
    await writeFile(`${store.path('es')}.tmp`, '{"offset": 99');
    expect(await store.load('es')).toEqual({ offset: 1 });
    await store.save('es', { offset: 2 });
    expect(await store.load('es')).toEqual({ offset: 2 });
    expect(await readdir(dir)).toEqual(['es.json']);
  });

  it('keeps every name inside its directory, whatever characters it has', async () => {
    const store = new CheckpointStore(dir);
    const names = [
      '../../escape',
      '..',
      '.',
      'a/b\\c',
      'dev:ino:fingerprint',
      'ünï cödé',
      'tilde~name',
      'x'.repeat(400),
    ];
    for (const [i, name] of names.entries()) await store.save(name, i);
    for (const [i, name] of names.entries()) expect(await store.load(name)).toBe(i);
    const files = await readdir(dir);
    expect(files).toHaveLength(names.length);
    expect(await readdir(root)).toEqual(['checkpoints']);
    for (const file of files) expect(file.length).toBeLessThanOrEqual(200);
    // Every name but the one too long to spell out comes back from list().
    expect(await store.list()).toEqual(names.slice(0, -1).sort());
    expect(() => store.path('')).toThrow(TypeError);
  });

  it('coalesces saves made while one is in flight: every call resolves, the last value wins, few writes happen', async () => {
    const store = new CheckpointStore(dir);
    const saves = Array.from({ length: 100 }, (_, i) => store.save('cursor', { offset: i }));
    await Promise.all(saves);
    expect(await store.load('cursor')).toEqual({ offset: 99 });
    expect(store.stats.writes).toBeLessThanOrEqual(2);
    expect(JSON.parse(await readFile(store.path('cursor'), 'utf8'))).toEqual({ offset: 99 });
  });

  it('orders a remove after earlier saves of the same name, and flush waits for everything', async () => {
    const store = new CheckpointStore(dir);
    void store.save('gone', 1);
    void store.save('gone', 2);
    const removed = store.remove('gone');
    void store.save('kept', 3);
    await store.flush();
    await removed;
    expect(await store.load('gone')).toBeUndefined();
    expect(await store.load('kept')).toBe(3);
    expect(await store.list()).toEqual(['kept']);
  });

  it('rejects a save that cannot be written with a coded error, and rejects values with no JSON form', async () => {
    await writeFile(join(root, 'not-a-dir'), 'a file');
    const store = new CheckpointStore(join(root, 'not-a-dir'));
    await expect(store.save('x', 1)).rejects.toMatchObject({ code: 'SHIPLOG_ERR_CHECKPOINT_IO', permanent: false });
    await expect(new CheckpointStore(dir).save('x', 1n)).rejects.toThrow(TypeError);
    await expect(new CheckpointStore(dir).save('x', undefined)).rejects.toThrow(TypeError);
  });
});
