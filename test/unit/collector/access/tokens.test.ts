import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { queryAudit } from '../../../../collector/access/audit.ts';
import type { Principal } from '../../../../collector/access/principal.ts';
import { createTenant } from '../../../../collector/access/tenants.ts';
import {
  authenticate,
  createToken,
  ensureFirstAdminToken,
  hashSecret,
  listTokens,
  revokeToken,
  type TokenRequest,
} from '../../../../collector/access/tokens.ts';
import { codeOf, controlDb, operator, secondConnection } from './control-db.ts';

const t0 = new Date('2025-06-01T12:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);
const minute = 60_000;

function principalFor(request: TokenRequest): Principal {
  const { db } = controlDb();
  for (const name of ['acme', 'beta', 'gamma']) createTenant(db, name, operator, t0);
  return authenticate(db, createToken(db, request, operator, t0).secret, t0);
}

describe('what each role may do', () => {
  // upload / read / admin on: its tenant (acme), another tenant (beta), every tenant ('*'), a path ('../acme').
  const table: Array<[string, TokenRequest, Record<'acme' | 'beta' | '*' | '../acme', string>]> = [
    ['upload for acme', { role: 'upload', tenant: 'acme' }, { acme: 'u--', beta: '---', '*': '---', '../acme': '---' }],
    ['read for acme', { role: 'read', tenant: 'acme' }, { acme: '-r-', beta: '---', '*': '---', '../acme': '---' }],
    ['admin of acme', { role: 'admin', tenant: 'acme' }, { acme: 'ura', beta: '---', '*': '---', '../acme': '---' }],
    [
      'staff for acme and gamma',
      { role: 'staff', tenants: ['acme', 'gamma'] },
      { acme: '-r-', beta: '---', '*': '---', '../acme': '---' },
    ],
    ['global admin', { role: 'admin', tenant: '*' }, { acme: 'ura', beta: 'ura', '*': 'ura', '../acme': '---' }],
  ];

  it.each(table)('%s', (_, request, expected) => {
    const principal = principalFor(request);
    for (const [tenant, abilities] of Object.entries(expected)) {
      const actual = [
        principal.canUpload(tenant) ? 'u' : '-',
        principal.canRead(tenant) ? 'r' : '-',
        principal.canAdmin(tenant) ? 'a' : '-',
      ].join('');
      expect(actual, `on ${tenant}`).toBe(abilities);
    }
  });

  it.each([
    ['upload for acme', { role: 'upload', tenant: 'acme' }, []],
    ['read for acme', { role: 'read', tenant: 'acme' }, ['acme']],
    ['admin of acme', { role: 'admin', tenant: 'acme' }, ['acme']],
    ['staff for acme and gamma', { role: 'staff', tenants: ['gamma', 'acme'] }, ['acme', 'gamma']],
    ['global admin', { role: 'admin', tenant: '*' }, ['acme', 'beta', 'gamma']],
  ] as Array<[string, TokenRequest, string[]]>)('%s reads %j', (_, request, readable) => {
    expect(principalFor(request).readable).toEqual(readable);
  });

  it('lets an upload token see the status of what it uploaded, and of nothing else', () => {
    const { db } = controlDb();
    const uploader = authenticate(db, createToken(db, { role: 'upload', tenant: 'acme' }, operator).secret);
    const other = createToken(db, { role: 'upload', tenant: 'acme' }, operator).token.id;
    expect(uploader.canSeeUpload({ tenant: 'acme', uploadedBy: uploader.tokenId })).toBe(true);
    expect(uploader.canSeeUpload({ tenant: 'acme', uploadedBy: other })).toBe(false);
    expect(uploader.canSeeUpload({ tenant: 'acme', uploadedBy: null })).toBe(false);
    expect(uploader.canSeeUpload({ tenant: 'beta', uploadedBy: uploader.tokenId })).toBe(false);
    const reader = authenticate(db, createToken(db, { role: 'read', tenant: 'acme' }, operator).secret);
    expect(reader.canSeeUpload({ tenant: 'acme', uploadedBy: other })).toBe(true);
    expect(reader.canSeeUpload({ tenant: 'beta', uploadedBy: other })).toBe(false);
  });

  it('gives a principal that cannot be changed after the fact', () => {
    const principal = principalFor({ role: 'read', tenant: 'acme' });
    expect(Object.isFrozen(principal)).toBe(true);
    expect(() => (principal.readable as string[]).push('beta')).toThrow();
    expect(principal.canRead('beta')).toBe(false);
  });

  it('sees the tenants a global admin may read as they are when the token is checked', () => {
    const { db } = controlDb();
    const secret = createToken(db, { role: 'admin', tenant: '*' }, operator).secret;
    createTenant(db, 'acme', operator);
    expect(authenticate(db, secret).readable).toEqual(['acme']);
    createTenant(db, 'beta', operator);
    expect(authenticate(db, secret).readable).toEqual(['acme', 'beta']);
  });
});

describe('creating tokens', () => {
  it('makes a secret of 32 random bytes and a public id, and creates the tenant it names', () => {
    const { db } = controlDb();
    const made = createToken(db, { role: 'upload', tenant: 'acme', label: 'ci runner' }, operator, t0);
    expect(made.secret).toMatch(/^slc_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(made.secret.slice(4), 'base64url')).toHaveLength(32);
    expect(made.token).toMatchObject({
      id: expect.stringMatching(/^tok_[A-Za-z0-9_-]{16}$/),
      role: 'upload',
      tenant: 'acme',
      tenants: [],
      label: 'ci runner',
      createdAt: t0.toISOString(),
      expiresAt: null,
      state: 'active',
    });
    expect(made.createdTenants).toEqual(['acme']);
    const second = createToken(db, { role: 'read', tenant: 'acme' }, operator, t0);
    expect(second.createdTenants).toEqual([]);
    expect(second.secret).not.toBe(made.secret);
    expect(second.token.id).not.toBe(made.token.id);
    const actions = queryAudit(db, operator).entries.map((entry) => [entry.action, entry.target]);
    expect(actions).toEqual([
      ['token.create', second.token.id],
      ['token.create', made.token.id],
      ['tenant.create', 'acme'],
    ]);
  });

  it('keeps only the SHA-256 of the secret: the secret is nowhere in the database files', () => {
    const { db, path } = controlDb();
    const secrets = [
      createToken(db, { role: 'upload', tenant: 'acme' }, operator).secret,
      createToken(db, { role: 'admin', tenant: '*' }, operator).secret,
      createToken(db, { role: 'staff', tenants: ['acme'] }, operator).secret,
    ];
    // Both the WAL (what a copy taken while serve runs holds) and the main file after a checkpoint.
    const beforeClose = Buffer.concat([readFileSync(path), readFileSync(`${path}-wal`)]);
    db.close();
    const afterClose = readFileSync(path);
    for (const secret of secrets) {
      for (const bytes of [beforeClose, afterClose]) {
        expect(bytes.includes(secret)).toBe(false);
        expect(bytes.includes(secret.slice(4))).toBe(false);
        expect(bytes.includes(Buffer.from(secret.slice(4), 'base64url'))).toBe(false);
      }
      expect(afterClose.includes(hashSecret(secret))).toBe(true);
    }
  });

  it.each([
    ['an unknown role', { role: 'owner', tenant: 'acme' }, 'COLLECTOR_ERR_TOKEN_ROLE_INVALID'],
    ['upload for every tenant', { role: 'upload', tenant: '*' }, 'COLLECTOR_ERR_TOKEN_ROLE_INVALID'],
    ['read for every tenant', { role: 'read', tenant: '*' }, 'COLLECTOR_ERR_TOKEN_ROLE_INVALID'],
    ['no tenant', { role: 'read' }, 'COLLECTOR_ERR_TOKEN_ROLE_INVALID'],
    ['staff without tenants', { role: 'staff' }, 'COLLECTOR_ERR_TOKEN_ROLE_INVALID'],
    ['staff with an empty list', { role: 'staff', tenants: [] }, 'COLLECTOR_ERR_TOKEN_ROLE_INVALID'],
    ['staff with one tenant', { role: 'staff', tenant: 'acme' }, 'COLLECTOR_ERR_TOKEN_ROLE_INVALID'],
    ['a list for a reader', { role: 'read', tenant: 'acme', tenants: ['beta'] }, 'COLLECTOR_ERR_TOKEN_ROLE_INVALID'],
    ['a path for a tenant', { role: 'upload', tenant: '../acme' }, 'COLLECTOR_ERR_TENANT_NAME_INVALID'],
    ['a path among staff tenants', { role: 'staff', tenants: ['acme', 'a/b'] }, 'COLLECTOR_ERR_TENANT_NAME_INVALID'],
    [
      'an expiry in the past',
      { role: 'read', tenant: 'acme', expiresAt: later(-1) },
      'COLLECTOR_ERR_TOKEN_OPTIONS_INVALID',
    ],
    [
      'an expiry that is no date',
      { role: 'read', tenant: 'acme', expiresAt: new Date('x') },
      'COLLECTOR_ERR_TOKEN_OPTIONS_INVALID',
    ],
    [
      'a label with a terminal escape',
      { role: 'read', tenant: 'acme', label: 'ci\u001b[2J' },
      'COLLECTOR_ERR_TOKEN_OPTIONS_INVALID',
    ],
    [
      'a label that reverses text',
      { role: 'read', tenant: 'acme', label: 'ci\u202egpj' },
      'COLLECTOR_ERR_TOKEN_OPTIONS_INVALID',
    ],
    [
      'a label of 201 characters',
      { role: 'read', tenant: 'acme', label: 'x'.repeat(201) },
      'COLLECTOR_ERR_TOKEN_OPTIONS_INVALID',
    ],
  ] as Array<[string, TokenRequest, string]>)('refuses %s, storing nothing', (_, request, code) => {
    const { db } = controlDb();
    expect(codeOf(() => createToken(db, request, operator, t0))).toBe(code);
    expect(listTokens(db, operator)).toEqual([]);
    expect(queryAudit(db, operator).entries).toEqual([]);
  });

  it('lets a tenant admin create tokens of its own tenant only, and only a global admin staff and global tokens', () => {
    const { db } = controlDb();
    createTenant(db, 'beta', operator);
    const adminOfAcme = authenticate(db, createToken(db, { role: 'admin', tenant: 'acme' }, operator).secret);
    const reader = authenticate(db, createToken(db, { role: 'read', tenant: 'acme' }, operator).secret);
    const global = authenticate(db, createToken(db, { role: 'admin', tenant: '*' }, operator).secret);

    for (const role of ['upload', 'read', 'admin']) {
      expect(createToken(db, { role, tenant: 'acme' }, adminOfAcme).token.tenant).toBe('acme');
      expect(codeOf(() => createToken(db, { role, tenant: 'beta' }, adminOfAcme))).toBe('COLLECTOR_ERR_FORBIDDEN');
      expect(codeOf(() => createToken(db, { role, tenant: 'acme' }, reader))).toBe('COLLECTOR_ERR_FORBIDDEN');
    }
    expect(codeOf(() => createToken(db, { role: 'admin', tenant: '*' }, adminOfAcme))).toBe('COLLECTOR_ERR_FORBIDDEN');
    expect(codeOf(() => createToken(db, { role: 'staff', tenants: ['acme'] }, adminOfAcme))).toBe(
      'COLLECTOR_ERR_FORBIDDEN',
    );
    // A tenant admin cannot create tenants by naming a new one either.
    expect(codeOf(() => createToken(db, { role: 'upload', tenant: 'gamma' }, adminOfAcme))).toBe(
      'COLLECTOR_ERR_FORBIDDEN',
    );
    expect(createToken(db, { role: 'staff', tenants: ['acme', 'beta'] }, global).token.tenants).toEqual([
      'acme',
      'beta',
    ]);
    expect(createToken(db, { role: 'upload', tenant: 'gamma' }, global).createdTenants).toEqual(['gamma']);
    const byAdmin = queryAudit(db, operator, { tenants: ['acme'], action: 'token.create', limit: 1 }).entries[0];
    expect(byAdmin?.actor).toBe(`token:${adminOfAcme.tokenId}`);
  });
});

describe('authenticating', () => {
  it.each([
    ['a token never made', `slc_${'A'.repeat(43)}`],
    ['an empty string', ''],
    ['a token cut short', 'slc_abc'],
    ['a token with a newline after it', `slc_${'A'.repeat(43)}\n`],
    ['the SHA-256 stored for a token', 'HASH'],
  ])('refuses %s as unknown', (_, presented) => {
    const { db } = controlDb();
    const secret = createToken(db, { role: 'read', tenant: 'acme' }, operator).secret;
    const attempt = presented === 'HASH' ? hashSecret(secret) : presented;
    expect(codeOf(() => authenticate(db, attempt))).toBe('COLLECTOR_ERR_TOKEN_UNKNOWN');
  });

  it('refuses a token from its expiry on, and lists it as expired', () => {
    const { db } = controlDb();
    const made = createToken(db, { role: 'read', tenant: 'acme', expiresAt: later(30 * minute) }, operator, t0);
    expect(authenticate(db, made.secret, later(30 * minute - 1)).tokenId).toBe(made.token.id);
    expect(codeOf(() => authenticate(db, made.secret, later(30 * minute)))).toBe('COLLECTOR_ERR_TOKEN_EXPIRED');
    expect(listTokens(db, operator, {}, later(30 * minute - 1))[0]?.state).toBe('active');
    expect(listTokens(db, operator, {}, later(30 * minute))[0]?.state).toBe('expired');
  });

  it('refuses a revoked token at once, also on a connection that was open before (serve beside the command)', () => {
    const { db, path } = controlDb();
    const made = createToken(db, { role: 'upload', tenant: 'acme' }, operator, t0);
    const serve = secondConnection(path);
    expect(authenticate(serve, made.secret, t0).canUpload('acme')).toBe(true);
    const revoked = revokeToken(db, made.token.id, operator, later(minute));
    expect(revoked).toMatchObject({ alreadyRevoked: false, token: { state: 'revoked' } });
    expect(codeOf(() => authenticate(serve, made.secret, later(2 * minute)))).toBe('COLLECTOR_ERR_TOKEN_REVOKED');
    // Revoked and expired: revoked is what the holder is told.
    expect(codeOf(() => authenticate(serve, made.secret, later(1e12)))).toBe('COLLECTOR_ERR_TOKEN_REVOKED');
  });

  it('gives the three refusals distinct codes, all HTTP 401', async () => {
    const { collectorErrors } = await import('../../../../collector/errors.ts');
    const refusals = [collectorErrors.TOKEN_UNKNOWN, collectorErrors.TOKEN_REVOKED, collectorErrors.TOKEN_EXPIRED];
    expect(new Set(refusals.map((spec) => spec.code)).size).toBe(3);
    expect(refusals.map((spec) => spec.status)).toEqual([401, 401, 401]);
    expect(collectorErrors.FORBIDDEN.status).toBe(403);
  });

  it('records when a token was last used, at most once a minute', () => {
    const { db } = controlDb();
    const made = createToken(db, { role: 'read', tenant: 'acme' }, operator, t0);
    const lastUsed = () => listTokens(db, operator)[0]?.lastUsedAt;
    expect(lastUsed()).toBeNull();
    authenticate(db, made.secret, later(1000));
    expect(lastUsed()).toBe(later(1000).toISOString());
    authenticate(db, made.secret, later(1000 + minute - 1));
    expect(lastUsed()).toBe(later(1000).toISOString());
    authenticate(db, made.secret, later(1000 + minute));
    expect(lastUsed()).toBe(later(1000 + minute).toISOString());
  });
});

describe('listing and revoking tokens', () => {
  it('lists tokens without their secrets or hashes', () => {
    const { db } = controlDb();
    const made = createToken(db, { role: 'upload', tenant: 'acme' }, operator);
    const listed = JSON.stringify(listTokens(db, operator));
    expect(listed).toContain(made.token.id);
    expect(listed).not.toContain(made.secret.slice(4));
    expect(listed).not.toContain(hashSecret(made.secret));
  });

  it("shows a tenant admin its own tenant's tokens only; other roles may not list", () => {
    const { db } = controlDb();
    const acme = createToken(db, { role: 'upload', tenant: 'acme' }, operator).token.id;
    createToken(db, { role: 'upload', tenant: 'beta' }, operator);
    createToken(db, { role: 'staff', tenants: ['acme'] }, operator);
    const admin = createToken(db, { role: 'admin', tenant: 'acme' }, operator);
    createToken(db, { role: 'admin', tenant: '*' }, operator);
    const adminOfAcme = authenticate(db, admin.secret);
    expect(listTokens(db, adminOfAcme).map((token) => token.id)).toEqual([acme, admin.token.id]);
    expect(listTokens(db, adminOfAcme, { tenant: 'beta' })).toEqual([]);
    for (const request of [
      { role: 'read', tenant: 'acme' },
      { role: 'upload', tenant: 'acme' },
      { role: 'staff', tenants: ['acme'] },
    ]) {
      const principal = authenticate(db, createToken(db, request, operator).secret);
      expect(codeOf(() => listTokens(db, principal))).toBe('COLLECTOR_ERR_FORBIDDEN');
    }
  });

  it("lists a tenant's own tokens and the staff tokens that read it", () => {
    const { db } = controlDb();
    const upload = createToken(db, { role: 'upload', tenant: 'acme' }, operator).token.id;
    const staff = createToken(db, { role: 'staff', tenants: ['acme', 'beta'] }, operator).token.id;
    createToken(db, { role: 'staff', tenants: ['beta'] }, operator);
    createToken(db, { role: 'read', tenant: 'beta' }, operator);
    expect(listTokens(db, operator, { tenant: 'acme' }).map((token) => token.id)).toEqual([upload, staff]);
    expect(listTokens(db, operator)).toHaveLength(4);
  });

  it('revokes once, audits once, and keeps the token listed as revoked', () => {
    const { db } = controlDb();
    const made = createToken(db, { role: 'read', tenant: 'acme' }, operator, t0);
    expect(revokeToken(db, made.token.id, operator, later(minute)).alreadyRevoked).toBe(false);
    const again = revokeToken(db, made.token.id, operator, later(2 * minute));
    expect(again).toMatchObject({ alreadyRevoked: true, token: { revokedAt: later(minute).toISOString() } });
    expect(queryAudit(db, operator, { action: 'token.revoke' }).entries).toHaveLength(1);
    expect(listTokens(db, operator)[0]).toMatchObject({ id: made.token.id, state: 'revoked' });
  });

  it("does not let a tenant admin find, let alone revoke, another tenant's or a global token", () => {
    const { db } = controlDb();
    const beta = createToken(db, { role: 'upload', tenant: 'beta' }, operator);
    const global = createToken(db, { role: 'admin', tenant: '*' }, operator);
    const staff = createToken(db, { role: 'staff', tenants: ['acme'] }, operator);
    const adminOfAcme = authenticate(db, createToken(db, { role: 'admin', tenant: 'acme' }, operator).secret);
    for (const id of [beta.token.id, global.token.id, staff.token.id]) {
      expect(codeOf(() => revokeToken(db, id, adminOfAcme))).toBe('COLLECTOR_ERR_TOKEN_NOT_FOUND');
    }
    for (const secret of [beta.secret, global.secret, staff.secret]) expect(authenticate(db, secret)).toBeTruthy();
    const own = createToken(db, { role: 'upload', tenant: 'acme' }, operator);
    revokeToken(db, own.token.id, adminOfAcme);
    expect(codeOf(() => authenticate(db, own.secret))).toBe('COLLECTOR_ERR_TOKEN_REVOKED');
    const reader = authenticate(db, createToken(db, { role: 'read', tenant: 'acme' }, operator).secret);
    expect(codeOf(() => revokeToken(db, own.token.id, reader))).toBe('COLLECTOR_ERR_FORBIDDEN');
    expect(codeOf(() => revokeToken(db, 'tok_nothing', operator))).toBe('COLLECTOR_ERR_TOKEN_NOT_FOUND');
  });
});

describe('the first admin token', () => {
  it('is made when no usable global admin token exists, and only then', () => {
    const { db } = controlDb();
    createToken(db, { role: 'admin', tenant: 'acme' }, operator, t0);
    const first = ensureFirstAdminToken(db, operator, t0);
    expect(first).toMatch(/^slc_/);
    const principal = authenticate(db, first as string, t0);
    expect(principal.canAdmin('*')).toBe(true);
    expect(ensureFirstAdminToken(db, operator, t0)).toBeUndefined();

    revokeToken(db, principal.tokenId, operator, t0);
    const second = ensureFirstAdminToken(db, operator, later(minute));
    expect(second).toMatch(/^slc_/);
    expect(second).not.toBe(first);
    const audit = queryAudit(db, operator, { action: 'token.create', limit: 1 }).entries[0];
    expect(audit).toMatchObject({ tenant: null, actor: 'cli:operator', detail: { role: 'admin', tenant: '*' } });
  });

  it('is made again when the only global admin token has expired', () => {
    const { db } = controlDb();
    createToken(db, { role: 'admin', tenant: '*', expiresAt: later(minute) }, operator, t0);
    expect(ensureFirstAdminToken(db, operator, t0)).toBeUndefined();
    expect(ensureFirstAdminToken(db, operator, later(minute))).toMatch(/^slc_/);
  });
});
