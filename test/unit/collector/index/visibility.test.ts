import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { IndexedEvent } from '../../../../collector/index/types.ts';
import { fileEvents, indexDir, messages, openIndex, writeBundle } from './helpers.ts';

const everything = { tenants: ['acme'], q: '', filters: {}, limit: 1000 };

/** The tables and generations of a tenant file, as SQLite lists them. */
function inventory(dir: string, tenant = 'acme') {
  const db = new DatabaseSync(join(dir, `${tenant}.db`), { readOnly: true });
  try {
    const tables = (
      db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB '*_[0-9]*' ORDER BY name`)
        .all() as {
        name: string;
      }[]
    )
      .map((row) => row.name)
      .filter((name) => /^(events|fts|rests)_\d+$/.test(name));
    const generations = db.prepare('SELECT gen, bundle, state FROM generations ORDER BY gen').all();
    return { tables, generations };
  } finally {
    db.close();
  }
}

describe('visibility: a bundle appears all at once', () => {
  for (const batchRows of [7, 100_000]) {
    it(`shows nothing of a bundle before commit(), then all of it (batches of ${batchRows})`, async () => {
      const dir = indexDir();
      const index = openIndex(dir, { batchRows });
      const other = openIndex(dir);
      const writer = await index.writer('acme', 'b1');
      writer.add(fileEvents(30, { prefix: 'first' }));
      writer.add(fileEvents(30, { prefix: 'second', start: Date.UTC(2026, 2, 1, 11) }));
      for (const reader of [index, other]) {
        expect(await reader.search(everything)).toEqual({ total: 0, hits: [] });
        expect(await reader.search({ ...everything, q: 'first' })).toEqual({ total: 0, hits: [] });
        expect((await reader.histogram(everything)).buckets).toEqual([]);
        expect(await reader.facets({ ...everything, fields: ['level', 'bundle'] })).toEqual({ level: [], bundle: [] });
        expect(await reader.context({ tenant: 'acme', id: 'acme.1.1', before: 5, after: 5 })).toEqual({ events: [] });
      }
      await writer.commit();
      for (const reader of [index, other]) {
        const result = await reader.search(everything);
        expect(result.total).toBe(60);
        expect(messages(result.hits).slice(0, 2)).toEqual(['first 1', 'first 2']);
      }
      expect(inventory(dir).generations).toEqual([{ gen: 1, bundle: 'b1', state: 'visible' }]);
      await index.close();
      await other.close();
    });
  }

  it('leaves nothing behind when a writer aborts, even after batches and the builder thread ran', async () => {
    const dir = indexDir();
    const index = openIndex(dir, { batchRows: 10 });
    await writeBundle(index, 'acme', 'kept', fileEvents(5, { prefix: 'kept', bundle: 'kept' }));
    const writer = await index.writer('acme', 'b1');
    writer.add(fileEvents(95, { prefix: 'aborted' }));
    await writer.abort();
    const result = await index.search(everything);
    expect(messages(result.hits)).toEqual(['kept 1', 'kept 2', 'kept 3', 'kept 4', 'kept 5']);
    expect(inventory(dir)).toEqual({
      tables: ['events_1', 'fts_1', 'rests_1'],
      generations: [{ gen: 1, bundle: 'kept', state: 'visible' }],
    });
    expect(readdirSync(dir).filter((name) => name.includes('.build-'))).toEqual([]);
    await expect(async () => writer.add(fileEvents(1))).rejects.toThrow(/already done/);
    await index.close();
  });

  it('replaces a bundle that is written again: readers see the old events or the new, never both or neither', async () => {
    const dir = indexDir();
    const index = openIndex(dir, { batchRows: 50 });
    const reader = openIndex(dir);
    await writeBundle(index, 'acme', 'b1', fileEvents(300, { prefix: 'old' }));
    const writer = await index.writer('acme', 'b1');
    writer.add(fileEvents(400, { prefix: 'new' }));
    const seen = new Set<string>();
    let committed = false;
    const commit = writer.commit().then(() => {
      committed = true;
    });
    while (!committed) {
      const result = await reader.search({ ...everything, limit: 1000 });
      const kinds = new Set(messages(result.hits).map((message) => message.split(' ')[0]));
      expect([...kinds].length).toBe(1);
      expect(result.total).toBe(kinds.has('old') ? 300 : 400);
      seen.add([...kinds][0] as string);
      await tick();
    }
    await commit;
    expect(seen.has('old')).toBe(true);
    const after = await reader.search(everything);
    expect(after.total).toBe(400);
    expect(messages(after.hits).every((message) => message.startsWith('new'))).toBe(true);
    // The old generation's tables are gone, not just hidden.
    expect(inventory(dir)).toEqual({
      tables: ['events_2', 'fts_2', 'rests_2'],
      generations: [{ gen: 2, bundle: 'b1', state: 'visible' }],
    });
    await index.close();
    await reader.close();
  });

  it('deletes a bundle: its events and tables go, the other bundles stay', async () => {
    const dir = indexDir();
    const index = openIndex(dir);
    await writeBundle(index, 'acme', 'b1', fileEvents(10, { prefix: 'one' }));
    await writeBundle(index, 'acme', 'b2', fileEvents(10, { prefix: 'two', bundle: 'b2' }));
    const before = await index.search({ ...everything, q: 'one', limit: 1 });
    await index.deleteBundle('acme', 'b1');
    const result = await index.search(everything);
    expect(result.total).toBe(10);
    expect(messages(result.hits).every((message) => message.startsWith('two'))).toBe(true);
    expect(await index.context({ tenant: 'acme', id: before.hits[0]?.id as string, before: 1, after: 1 })).toEqual({
      events: [],
    });
    expect(inventory(dir)).toEqual({
      tables: ['events_2', 'fts_2', 'rests_2'],
      generations: [{ gen: 2, bundle: 'b2', state: 'visible' }],
    });
    await index.deleteBundle('acme', 'never-written');
    await index.close();
  });

  it('indexes an empty bundle as an empty bundle', async () => {
    const index = openIndex();
    await writeBundle(index, 'acme', 'empty', []);
    expect(await index.search(everything)).toEqual({ total: 0, hits: [] });
    expect(await index.facets({ ...everything, fields: ['bundle'] })).toEqual({ bundle: [] });
    await index.close();
  });

  it('refuses events of another tenant or bundle, and times that are not RFC 3339, naming the line', async () => {
    const dir = indexDir();
    const index = openIndex(dir);
    const writer = await index.writer('acme', 'b1');
    expect(() => writer.add(fileEvents(1, { tenant: 'beta' }))).toThrow(/tenant "beta"/);
    expect(() => writer.add(fileEvents(1, { bundle: 'b2' }))).toThrow(/bundle "b2"/);
    const [bad] = fileEvents(1);
    expect(() => writer.add([{ ...(bad as IndexedEvent), '@timestamp': 'Mar  1 10:00:00' }])).toThrow(
      /"Mar {2}1 10:00:00" of containers\/app\/container.log:1 is not an RFC 3339 time/,
    );
    await writer.abort();
    expect(existsSync(join(dir, 'acme.db'))).toBe(true);
    expect(inventory(dir).generations).toEqual([]);
    await index.close();
  });
});
