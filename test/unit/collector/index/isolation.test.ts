import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqliteIndex } from '../../../../collector/index/sqlite/index.ts';
import { QueryError } from '../../../../collector/index/types.ts';
import { fileEvents, indexDir, openIndex, writeBundle } from './helpers.ts';

describe('tenant isolation', () => {
  let dir: string;
  let index: SqliteIndex;
  beforeAll(async () => {
    dir = indexDir();
    index = openIndex(dir);
    await writeBundle(index, 'acme', 'b1', fileEvents(50, { tenant: 'acme', prefix: 'shared' }));
    await writeBundle(index, 'beta', 'b1', fileEvents(80, { tenant: 'beta', prefix: 'shared' }));
    return () => index.close();
  });

  it('keeps each tenant in its own file', () => {
    expect(
      readdirSync(dir)
        .filter((name) => name.endsWith('.db'))
        .sort(),
    ).toEqual(['acme.db', 'beta.db']);
  });

  it('never returns another tenant’s rows, through every page', async () => {
    let cursor: string | undefined;
    let seen = 0;
    do {
      const page = await index.search({
        tenants: ['acme'],
        q: 'shared',
        filters: {},
        limit: 7,
        ...(cursor && { cursor }),
      });
      expect(page.total).toBe(50);
      for (const hit of page.hits) {
        expect(hit.id.startsWith('acme.')).toBe(true);
        expect(hit.event.shiplog.tenant).toBe('acme');
      }
      seen += page.hits.length;
      cursor = page.next;
    } while (cursor);
    expect(seen).toBe(50);
  });

  it('treats a crafted cursor as a position only: it cannot reach another tenant', async () => {
    const beta = await index.search({ tenants: ['beta'], q: 'shared', filters: {}, limit: 5 });
    // A cursor of beta's search is refused for acme's.
    await expect(
      index.search({ tenants: ['acme'], q: 'shared', filters: {}, limit: 5, cursor: beta.next as string }),
    ).rejects.toBeInstanceOf(QueryError);
    // A cursor crafted with acme's fingerprint but beta's tenant and generation still only pages acme.
    const acme = await index.search({ tenants: ['acme'], q: 'shared', filters: {}, limit: 5 });
    const body = JSON.parse(Buffer.from(acme.next as string, 'base64url').toString()) as { k: unknown[] };
    body.k[2] = 'beta';
    const crafted = Buffer.from(JSON.stringify(body)).toString('base64url');
    const page = await index.search({ tenants: ['acme'], q: 'shared', filters: {}, limit: 100, cursor: crafted });
    expect(page.hits.length).toBeGreaterThan(0);
    expect(page.hits.every((hit) => hit.event.shiplog.tenant === 'acme')).toBe(true);
  });

  it('finds no context for a hit id of another tenant, nor for ids crafted to look like one', async () => {
    const beta = await index.search({ tenants: ['beta'], q: 'shared', filters: {}, limit: 60 });
    const betaId = beta.hits[55]?.id as string;
    expect(await index.context({ tenant: 'acme', id: betaId, before: 5, after: 5 })).toEqual({ events: [] });
    // The same generation and sequence under acme's name is acme's own row (if any), never beta's.
    const renamed = betaId.replace(/^beta\./, 'acme.');
    const context = await index.context({ tenant: 'acme', id: renamed, before: 5, after: 5 });
    expect(context.events.every((entry) => entry.event.shiplog.tenant === 'acme')).toBe(true);
    for (const id of ['', 'acme', 'acme.1', 'acme.1.0', 'acme.0.1', 'acme.1.1.1', '../beta.1.1', 'ACME.1.1']) {
      expect(await index.context({ tenant: 'acme', id, before: 1, after: 1 }), id).toEqual({ events: [] });
    }
  });

  it('refuses tenant names that are not slugs before they become paths', async () => {
    for (const tenant of ['../beta', 'Acme', 'a/b', '', '-x', 'x'.repeat(64)]) {
      await expect(index.writer(tenant, 'b1'), tenant).rejects.toThrow(/not a tenant name/);
      await expect(index.search({ tenants: [tenant], q: '', filters: {}, limit: 1 })).rejects.toBeInstanceOf(
        QueryError,
      );
    }
  });
});
