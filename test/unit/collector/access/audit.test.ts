import { describe, expect, it } from 'vitest';
import { type AuditEntry, queryAudit, recordAudit } from '../../../../collector/access/audit.ts';
import type { Principal } from '../../../../collector/access/principal.ts';
import { createTenant } from '../../../../collector/access/tenants.ts';
import { authenticate, createToken, type TokenRequest } from '../../../../collector/access/tokens.ts';
import { codeOf, controlDb, operator } from './control-db.ts';

const t0 = Date.parse('2025-06-01T12:00:00Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000);

/** Two tenants with a few reads each, one entry of no tenant, and a principal of each kind. */
function auditedPortal() {
  const { db } = controlDb();
  createTenant(db, 'acme', operator, at(0));
  createTenant(db, 'beta', operator, at(0));
  const principal = (request: TokenRequest): Principal =>
    authenticate(db, createToken(db, request, operator, at(0)).secret, at(0));
  const adminOfAcme = principal({ role: 'admin', tenant: 'acme' });
  const adminOfBeta = principal({ role: 'admin', tenant: 'beta' });
  const global = principal({ role: 'admin', tenant: '*' });
  const others = [
    principal({ role: 'read', tenant: 'acme' }),
    principal({ role: 'upload', tenant: 'acme' }),
    principal({ role: 'staff', tenants: ['acme', 'beta'] }),
  ];
  for (let minute = 1; minute <= 4; minute++) {
    recordAudit(db, {
      actor: others[0] as Principal,
      tenant: 'acme',
      action: 'search',
      target: `q${minute}`,
      at: at(minute),
    });
    recordAudit(db, { actor: adminOfBeta, tenant: 'beta', action: 'view', target: `b-${minute}`, at: at(minute) });
  }
  return { db, adminOfAcme, adminOfBeta, global, others };
}

const tenantsOf = (entries: readonly AuditEntry[]) => [...new Set(entries.map((entry) => entry.tenant))].sort();

describe('the audit log', () => {
  it('records who did what to which tenant, and gives it back newest first', () => {
    const { db } = controlDb();
    createTenant(db, 'acme', operator, at(0));
    const reader = authenticate(db, createToken(db, { role: 'read', tenant: 'acme' }, operator, at(0)).secret, at(0));
    const id = recordAudit(db, {
      actor: reader,
      tenant: 'acme',
      action: 'download',
      target: 'bundle-1',
      detail: { bytes: 1234, file: 'containers/api.log' },
      at: at(5),
    });
    const [newest] = queryAudit(db, operator).entries;
    expect(newest).toEqual({
      id,
      at: at(5).toISOString(),
      tokenId: reader.tokenId,
      actor: `token:${reader.tokenId}`,
      tenant: 'acme',
      action: 'download',
      target: 'bundle-1',
      detail: { bytes: 1234, file: 'containers/api.log' },
    });
  });

  it('refuses an entry for a tenant name that is not one, or an action it does not know', () => {
    const { db } = controlDb();
    expect(codeOf(() => recordAudit(db, { actor: operator, tenant: '../acme', action: 'view' }))).toBe(
      'COLLECTOR_ERR_TENANT_NAME_INVALID',
    );
    expect(() => recordAudit(db, { actor: operator, tenant: 'acme', action: 'peek' as 'view' })).toThrow(TypeError);
    expect(queryAudit(db, operator).entries).toEqual([]);
  });

  it("never shows a tenant admin another tenant's entries, nor those of no tenant", () => {
    const { db, adminOfAcme, adminOfBeta } = auditedPortal();
    const acme = queryAudit(db, adminOfAcme, { limit: 1000 }).entries;
    expect(tenantsOf(acme)).toEqual(['acme']);
    expect(acme.filter((entry) => entry.action === 'search')).toHaveLength(4);
    expect(tenantsOf(queryAudit(db, adminOfBeta, { limit: 1000 }).entries)).toEqual(['beta']);
    expect(codeOf(() => queryAudit(db, adminOfAcme, { tenants: ['beta'] }))).toBe('COLLECTOR_ERR_FORBIDDEN');
    expect(codeOf(() => queryAudit(db, adminOfAcme, { tenants: ['acme', 'beta'] }))).toBe('COLLECTOR_ERR_FORBIDDEN');
    expect(codeOf(() => queryAudit(db, adminOfAcme, { tenants: ['*'] }))).toBe('COLLECTOR_ERR_FORBIDDEN');
    expect(queryAudit(db, adminOfAcme, { tenants: [] }).entries).toEqual([]);
  });

  it('shows a global admin and the command line every entry, those of no tenant included', () => {
    const { db, global } = auditedPortal();
    for (const viewer of [global, operator]) {
      const all = queryAudit(db, viewer, { limit: 1000 }).entries;
      expect(tenantsOf(all)).toEqual(['acme', 'beta', null].sort());
      expect(tenantsOf(queryAudit(db, viewer, { tenants: ['beta'], limit: 1000 }).entries)).toEqual(['beta']);
    }
  });

  it('does not let readers, uploaders or staff read the audit log', () => {
    const { db, others } = auditedPortal();
    for (const viewer of others) {
      expect(codeOf(() => queryAudit(db, viewer))).toBe('COLLECTOR_ERR_FORBIDDEN');
      expect(codeOf(() => queryAudit(db, viewer, { tenants: ['acme'] }))).toBe('COLLECTOR_ERR_FORBIDDEN');
    }
  });

  it('filters by action and by time, since included and until not', () => {
    const { db, global } = auditedPortal();
    const views = queryAudit(db, global, { action: 'view' }).entries;
    expect(views.map((entry) => entry.target)).toEqual(['b-4', 'b-3', 'b-2', 'b-1']);
    const window = queryAudit(db, global, { tenants: ['acme'], since: at(2), until: at(4).toISOString() }).entries;
    expect(window.map((entry) => entry.target)).toEqual(['q3', 'q2']);
  });

  it('pages through every entry exactly once with the cursor', () => {
    const { db, global } = auditedPortal();
    const everything = queryAudit(db, global, { limit: 1000 }).entries.map((entry) => entry.id);
    const paged: number[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = queryAudit(db, global, { limit: 3, cursor });
      paged.push(...result.entries.map((entry) => entry.id));
      if (result.nextCursor === null) break;
      cursor = result.nextCursor;
    }
    expect(paged).toEqual(everything);
    expect(everything.length).toBeGreaterThan(3);
  });

  it.each([
    ['a cursor it did not give', { cursor: 'abc' }],
    ['a negative cursor', { cursor: '-1' }],
    ['a limit of 0', { limit: 0 }],
    ['a limit above 1000', { limit: 1001 }],
    ['a fractional limit', { limit: 2.5 }],
    ['a since that is no time', { since: 'yesterday' }],
    ['an action it does not know', { action: 'peek' }],
  ])('refuses %s', (_, query) => {
    const { db } = controlDb();
    expect(codeOf(() => queryAudit(db, operator, query as Parameters<typeof queryAudit>[2]))).toBe(
      'COLLECTOR_ERR_AUDIT_QUERY_INVALID',
    );
  });
});
