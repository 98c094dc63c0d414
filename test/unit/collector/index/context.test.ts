import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteIndex } from '../../../../collector/index/sqlite/index.ts';
import { QueryError } from '../../../../collector/index/types.ts';
import { event, indexDir, messages, openIndex, writeBundle } from './helpers.ts';

describe('context', () => {
  let index: SqliteIndex;
  beforeAll(async () => {
    index = openIndex(indexDir(), { batchRows: 13 });
    // Two files written interleaved, with times out of line order: context follows line numbers in one file.
    const events = [];
    for (let line = 1; line <= 40; line++) {
      for (const name of ['a', 'b']) {
        events.push(
          event({
            file: `containers/${name}/container.log`,
            line,
            message: `${name}${line}`,
            time: new Date(Date.UTC(2026, 2, 1, 10) + ((line * 7919) % 40) * 1000).toISOString(),
          }),
        );
      }
    }
    await writeBundle(index, 'acme', 'b1', events);
    await writeBundle(index, 'acme', 'b2', [
      event({ bundle: 'b2', message: 'a20', file: 'containers/a/container.log', line: 20 }),
    ]);
  });
  afterAll(() => index.close());

  const idOf = async (message: string, bundle = 'b1') => {
    const result = await index.search({
      tenants: ['acme'],
      q: `"${message}"`,
      filters: { bundle: [bundle] },
      limit: 1,
    });
    return result.hits[0]?.id as string;
  };

  it('returns the lines before and after a hit in its own file of its own bundle, in line order, the hit included', async () => {
    const result = await index.context({ tenant: 'acme', id: await idOf('a20'), before: 3, after: 2 });
    expect(messages(result.events)).toEqual(['a17', 'a18', 'a19', 'a20', 'a21', 'a22']);
    expect(result.events.every((entry) => entry.event.shiplog.bundle === 'b1')).toBe(true);
    // The ids it returns are hit ids too.
    const again = await index.context({ tenant: 'acme', id: result.events[0]?.id as string, before: 0, after: 0 });
    expect(messages(again.events)).toEqual(['a17']);
  });

  it('stops at the ends of the file', async () => {
    expect(
      messages((await index.context({ tenant: 'acme', id: await idOf('b2'), before: 5, after: 1 })).events),
    ).toEqual(['b1', 'b2', 'b3']);
    expect(
      messages((await index.context({ tenant: 'acme', id: await idOf('b40'), before: 1, after: 5 })).events),
    ).toEqual(['b39', 'b40']);
  });

  it('finds nothing for an unknown, malformed or foreign id, and checks before and after', async () => {
    for (const id of ['acme.999.1', 'acme.1.999999', 'beta.1.1', 'nonsense']) {
      expect(await index.context({ tenant: 'acme', id, before: 1, after: 1 }), id).toEqual({ events: [] });
    }
    const id = await idOf('a1');
    await expect(index.context({ tenant: 'acme', id, before: -1, after: 1 })).rejects.toBeInstanceOf(QueryError);
    await expect(index.context({ tenant: 'acme', id, before: 1, after: 1001 })).rejects.toBeInstanceOf(QueryError);
  });

  it('finds nothing for the id of a bundle written again since', async () => {
    const old = await idOf('a20', 'b2');
    await writeBundle(index, 'acme', 'b2', [
      event({ bundle: 'b2', message: 'a20 again', file: 'containers/a/container.log', line: 20 }),
    ]);
    expect(await index.context({ tenant: 'acme', id: old, before: 1, after: 1 })).toEqual({ events: [] });
  });
});
