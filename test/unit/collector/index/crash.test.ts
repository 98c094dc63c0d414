import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { startWriter } from './child.ts';
import { fileEvents, indexDir, openIndex, writeBundle } from './helpers.ts';

function leftovers(dir: string) {
  const db = new DatabaseSync(join(dir, 'acme.db'), { readOnly: true });
  try {
    return {
      generations: db
        .prepare('SELECT bundle, state FROM generations ORDER BY gen')
        .all()
        .map((row) => ({ ...row })),
      tables: (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[])
        .map((row) => row.name)
        .filter((name) => /^(events|fts|rests)_\d+$/.test(name))
        .sort(),
      scratch: readdirSync(dir).filter((name) => name.includes('.build-')),
    };
  } finally {
    db.close();
  }
}

describe('a writer killed with SIGKILL mid-write', () => {
  it('leaves nothing of its bundle visible, the bundle it was replacing intact, and its leftovers are cleaned up', async () => {
    const dir = indexDir();
    const index = openIndex(dir);
    await writeBundle(index, 'acme', 'b1', fileEvents(20, { prefix: 'before' }));
    await index.close();

    // It writes the same bundle again, in batches through the builder thread, and is killed holding it all uncommitted.
    const child = startWriter(dir, 'acme', 'b1', 5000, 400, 'hold', 'after');
    await child.waitFor(/^holding$/);
    // Its builder thread has a scratch file by now, or soon.
    while (leftovers(dir).scratch.length === 0) await new Promise((resolve) => setImmediate(resolve));
    child.process.kill('SIGKILL');
    expect((await child.exit()).signal).toBe('SIGKILL');
    const dead = leftovers(dir);
    expect(dead).toMatchObject({
      generations: [
        { bundle: 'b1', state: 'visible' },
        { bundle: 'b1', state: 'writing' },
      ],
      tables: ['events_1', 'events_2', 'fts_1', 'fts_2', 'rests_1', 'rests_2'],
    });
    expect(dead.scratch).toContain('acme.db.build-2');

    const reopened = openIndex(dir);
    const result = await reopened.search({ tenants: ['acme'], q: '', filters: {}, limit: 100 });
    expect(result.total).toBe(20);
    expect(result.hits.every((hit) => hit.event.message.startsWith('before'))).toBe(true);
    expect((await reopened.search({ tenants: ['acme'], q: 'after', filters: {}, limit: 1 })).total).toBe(0);
    // Opening the file for reading cleaned up the dead writer's generation and scratch file.
    expect(leftovers(dir)).toEqual({
      generations: [{ bundle: 'b1', state: 'visible' }],
      tables: ['events_1', 'fts_1', 'rests_1'],
      scratch: [],
    });
    await reopened.close();
  }, 60_000);

  it('removes scratch files that no live writer owns when the index opens the file', async () => {
    const dir = indexDir();
    const index = openIndex(dir);
    await writeBundle(index, 'acme', 'b1', fileEvents(3));
    await index.close();
    for (const name of ['acme.db.build-77', 'acme.db.build-77-journal', 'beta.db.build-3']) {
      writeFileSync(join(dir, name), 'left over');
    }
    const reopened = openIndex(dir);
    expect((await reopened.search({ tenants: ['acme'], q: '', filters: {}, limit: 1 })).total).toBe(3);
    expect(readdirSync(dir).filter((name) => name.includes('.build-'))).toEqual(['beta.db.build-3']);
    await reopened.close();
  });

  it('shows a bundle whole or not at all, whenever the writer dies, and the next writer cleans up', async () => {
    const dir = indexDir();
    for (let run = 0; run < 4; run++) {
      const child = startWriter(dir, 'acme', `run-${run}`, 3000, 250, 'commit', `run${run}`);
      const threshold = 200 + Math.floor(Math.random() * 3000);
      await child.waitFor(new RegExp(`^(added (${threshold}|[0-9]{5,})|committed)$`)).catch(() => undefined);
      child.process.kill('SIGKILL');
      const { lines } = await child.exit();
      const index = openIndex(dir);
      const total = (await index.search({ tenants: ['acme'], q: `run${run}`, filters: {}, limit: 1 })).total;
      expect([0, 3000]).toContain(total);
      if (lines.includes('committed')) expect(total).toBe(3000);
      await index.close();
    }
    // A new writer starting cleans up whatever the dead ones left.
    const index = openIndex(dir);
    const writer = await index.writer('acme', 'last');
    const state = leftovers(dir);
    expect(state.generations.filter((row) => (row as { state: string }).state === 'writing')).toHaveLength(1);
    expect(state.scratch).toEqual([]);
    await writer.abort();
    await index.close();
  }, 120_000);
});
