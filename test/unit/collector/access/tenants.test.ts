import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queryAudit } from '../../../../collector/access/audit.ts';
import {
  checkTenantName,
  createTenant,
  getTenant,
  isTenantName,
  listTenants,
  requireTenant,
  setTenantRetention,
} from '../../../../collector/access/tenants.ts';
import { authenticate, createToken } from '../../../../collector/access/tokens.ts';
import { codeOf, controlDb, operator } from './control-db.ts';

describe('tenant names', () => {
  it.each(['a', '0', 'acme', 'acme-bank', 'bank_of_x', '9lives', 'a'.repeat(63)])('accepts %j', (name) => {
    expect(isTenantName(name)).toBe(true);
    expect(checkTenantName(name)).toBe(name);
  });

  it.each([
    ['empty', ''],
    ['a parent directory', '..'],
    ['the current directory', '.'],
    ['a path up and out', '../x'],
    ['a path down', 'a/b'],
    ['a Windows path', 'a\\b'],
    ['an absolute path', '/etc/passwd'],
    ['upper case (case-insensitive file systems)', 'A'],
    ['mixed case', 'Acme'],
    ['a leading dash (read as an option)', '-acme'],
    ['a leading underscore', '_acme'],
    ['a dot (a file extension)', 'acme.db'],
    ['a space', 'acme bank'],
    ['a trailing newline', 'acme\n'],
    ['a NUL byte', 'acme\0'],
    ['the every-tenant wildcard', '*'],
    ['a full-width letter', 'ａcme'],
    ['64 characters', 'a'.repeat(64)],
    ['a megabyte', 'a'.repeat(1 << 20)],
  ])('refuses %s', (_, name) => {
    expect(isTenantName(name)).toBe(false);
    expect(codeOf(() => checkTenantName(name))).toBe('COLLECTOR_ERR_TENANT_NAME_INVALID');
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 7, ['acme'], { toString: () => 'acme' }]) {
      expect(isTenantName(value)).toBe(false);
    }
  });

  it('never lets a name reach outside the directory it is used in', () => {
    const dir = resolve('/var/lib/shiplog-collector/index');
    let accepted = 0;
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'az09_-./\\A *%\n\u0000'), maxLength: 70 }), (name) => {
        if (!isTenantName(name)) return;
        accepted++;
        const file = resolve(join(dir, `${name}.db`));
        expect(file.startsWith(`${dir}/`)).toBe(true);
        expect(file.slice(dir.length + 1)).toBe(`${name}.db`);
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});

describe('tenants', () => {
  it('creates a tenant once: a second create finds it, changes nothing and audits nothing', () => {
    const { db } = controlDb();
    const first = createTenant(db, 'acme', operator, new Date('2025-03-01T10:00:00Z'));
    expect(first).toEqual({
      created: true,
      tenant: { name: 'acme', createdAt: '2025-03-01T10:00:00.000Z', retentionDays: null },
    });
    const again = createTenant(db, 'acme', operator, new Date('2025-03-02T10:00:00Z'));
    expect(again).toEqual({ created: false, tenant: first.tenant });
    const audit = queryAudit(db, operator).entries;
    expect(audit.map((entry) => [entry.action, entry.tenant, entry.actor])).toEqual([
      ['tenant.create', 'acme', 'cli:operator'],
    ]);
  });

  it('lists tenants by name and gets one', () => {
    const { db } = controlDb();
    for (const name of ['zeta', 'acme', 'beta']) createTenant(db, name, operator);
    expect(listTenants(db).map((tenant) => tenant.name)).toEqual(['acme', 'beta', 'zeta']);
    expect(getTenant(db, 'beta')?.name).toBe('beta');
    expect(getTenant(db, 'gamma')).toBeUndefined();
    expect(getTenant(db, '../beta')).toBeUndefined();
    expect(codeOf(() => requireTenant(db, 'gamma'))).toBe('COLLECTOR_ERR_TENANT_NOT_FOUND');
    expect(codeOf(() => requireTenant(db, 'Gamma'))).toBe('COLLECTOR_ERR_TENANT_NAME_INVALID');
  });

  it('refuses to create a tenant under a name that is not a slug, and stores nothing', () => {
    const { db } = controlDb();
    expect(codeOf(() => createTenant(db, '../x', operator))).toBe('COLLECTOR_ERR_TENANT_NAME_INVALID');
    expect(listTenants(db)).toEqual([]);
  });

  it('sets and clears a tenant retention, audited with the previous value', () => {
    const { db } = controlDb();
    createTenant(db, 'acme', operator);
    expect(setTenantRetention(db, 'acme', 30, operator).retentionDays).toBe(30);
    expect(getTenant(db, 'acme')?.retentionDays).toBe(30);
    expect(setTenantRetention(db, 'acme', null, operator).retentionDays).toBeNull();
    const entries = queryAudit(db, operator, { action: 'retention.set' }).entries;
    expect(entries.map((entry) => entry.detail)).toEqual([
      { days: null, previous: 30 },
      { days: 30, previous: null },
    ]);
    for (const days of [0, -1, 1.5, 36_501, Number.NaN]) {
      expect(codeOf(() => setTenantRetention(db, 'acme', days, operator))).toBe(
        'COLLECTOR_ERR_TENANT_RETENTION_INVALID',
      );
    }
    expect(codeOf(() => setTenantRetention(db, 'nobody', 30, operator))).toBe('COLLECTOR_ERR_TENANT_NOT_FOUND');
  });

  it('lets a tenant admin set its own retention only, and only a global admin create tenants', () => {
    const { db } = controlDb();
    createTenant(db, 'acme', operator);
    createTenant(db, 'beta', operator);
    const adminOfAcme = authenticate(db, createToken(db, { role: 'admin', tenant: 'acme' }, operator).secret);
    const global = authenticate(db, createToken(db, { role: 'admin', tenant: '*' }, operator).secret);
    const staff = authenticate(db, createToken(db, { role: 'staff', tenants: ['acme'] }, operator).secret);

    expect(setTenantRetention(db, 'acme', 10, adminOfAcme).retentionDays).toBe(10);
    expect(codeOf(() => setTenantRetention(db, 'beta', 10, adminOfAcme))).toBe('COLLECTOR_ERR_FORBIDDEN');
    expect(codeOf(() => setTenantRetention(db, 'acme', 10, staff))).toBe('COLLECTOR_ERR_FORBIDDEN');
    expect(setTenantRetention(db, 'beta', 20, global).retentionDays).toBe(20);

    expect(codeOf(() => createTenant(db, 'gamma', adminOfAcme))).toBe('COLLECTOR_ERR_FORBIDDEN');
    expect(createTenant(db, 'gamma', global).created).toBe(true);
    const entry = queryAudit(db, operator, { action: 'tenant.create', limit: 1 }).entries[0];
    expect(entry).toMatchObject({ tenant: 'gamma', actor: `token:${global.tokenId}`, tokenId: global.tokenId });
  });
});
