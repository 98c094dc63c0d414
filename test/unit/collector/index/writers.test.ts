import { symlinkSync } from 'node:fs';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startWriter } from './child.ts';
import { fileEvents, indexDir, openIndex } from './helpers.ts';

describe('two writers of one tenant at once', () => {
  it('both succeed from two index instances of one process, batches interleaved', async () => {
    const dir = indexDir();
    const first = openIndex(dir, { batchRows: 40 });
    const second = openIndex(dir, { batchRows: 40 });
    const a = await first.writer('acme', 'a');
    const b = await second.writer('acme', 'b');
    const eventsA = fileEvents(1000, { bundle: 'a', prefix: 'alpha', file: 'containers/alpha/container.log' });
    const eventsB = fileEvents(1000, { bundle: 'b', prefix: 'beta', file: 'containers/beta/container.log' });
    for (let i = 0; i < 1000; i += 100) {
      a.add(eventsA.slice(i, i + 100));
      b.add(eventsB.slice(i, i + 100));
      await tick();
    }
    await Promise.all([a.commit(), b.commit()]);
    for (const q of ['alpha', 'beta', '']) {
      const result = await first.search({ tenants: ['acme'], q, filters: {}, limit: 10 });
      expect(result.total, q).toBe(q === '' ? 2000 : 1000);
    }
    const facets = await second.facets({ tenants: ['acme'], q: '', filters: {}, fields: ['bundle', 'container'] });
    expect(facets).toEqual({
      bundle: [
        { value: 'a', count: 1000 },
        { value: 'b', count: 1000 },
      ],
      container: [{ value: 'app', count: 2000 }],
    });
    await first.close();
    await second.close();
  });

  it('both succeed from two processes, while this process writes a third bundle', async () => {
    const dir = indexDir();
    const children = [
      startWriter(dir, 'acme', 'ingest-1', 20_000, 1500, 'commit', 'one'),
      startWriter(dir, 'acme', 'ingest-2', 20_000, 1500, 'commit', 'two'),
    ];
    const index = openIndex(dir, { batchRows: 1500 });
    await children[0]?.waitFor(/^added/);
    const writer = await index.writer('acme', 'serve');
    const events = fileEvents(6000, { bundle: 'serve', prefix: 'three', file: 'containers/three/container.log' });
    for (let i = 0; i < events.length; i += 500) {
      writer.add(events.slice(i, i + 500));
      await tick();
    }
    await writer.commit();
    for (const child of children) {
      const { code, stderr, lines } = await child.exit();
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(lines.at(-1)).toBe('committed');
    }
    for (const [q, total] of [
      ['one', 20_000],
      ['two', 20_000],
      ['three', 6000],
      ['level:error', 4000],
    ] as const) {
      expect((await index.search({ tenants: ['acme'], q, filters: {}, limit: 5 })).total, q).toBe(total);
    }
    await index.close();
  }, 120_000);

  it('never takes a live writer of this process for a leftover, whatever spelling of the path the reader uses', async () => {
    const dir = indexDir();
    const index = openIndex(dir, { batchRows: 5 });
    const writer = await index.writer('acme', 'b1');
    writer.add(fileEvents(12));
    const link = `${dir}-link`;
    symlinkSync(dir, link);
    const other = openIndex(link);
    expect((await other.search({ tenants: ['acme'], q: '', filters: {}, limit: 1 })).total).toBe(0);
    await writer.commit();
    expect((await other.search({ tenants: ['acme'], q: '', filters: {}, limit: 1 })).total).toBe(12);
    await index.close();
    await other.close();
  });

  it('lets the last commit of one bundle win when two writers write it at once', async () => {
    const dir = indexDir();
    const index = openIndex(dir);
    const early = await index.writer('acme', 'b1');
    const late = await index.writer('acme', 'b1');
    early.add(fileEvents(5, { prefix: 'early' }));
    late.add(fileEvents(7, { prefix: 'late' }));
    await late.commit();
    await early.commit();
    const result = await index.search({ tenants: ['acme'], q: '', filters: {}, limit: 100 });
    expect(result.total).toBe(5);
    expect(result.hits.every((hit) => hit.event.message.startsWith('early'))).toBe(true);
    await index.close();
  });
});
