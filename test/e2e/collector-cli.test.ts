// `shiplog-collector token` and `tenant` as the vendor's operator runs them,
// on a data directory that a running portal (here: a connection this test
// holds open, as `serve` does) uses at the same time.
import { readdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryAudit } from '../../collector/access/audit.ts';
import { authenticate } from '../../collector/access/tokens.ts';
import { openControl } from '../../collector/store/control.ts';
import { isCodedError } from '../../core/coded-error.ts';
import { type CliResult, shiplogCollector } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

function collectorIn(dataDir: string) {
  const env = { SHIPLOG_COLLECTOR_DATA_DIR: dataDir, SHIPLOG_COLLECTOR_CONFIG: '' };
  return (...args: string[]) => shiplogCollector(args, { env });
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';

function refusal(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (isCodedError(error)) return error.code;
    throw error;
  }
  return 'accepted';
}

function expectCoded(result: CliResult, code: string, exit = 1) {
  expect(result.stderr).toContain(`[${code}]`);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.code).toBe(exit);
}

describe('shiplog-collector token', () => {
  it('creates a token printed last, lists it without its secret, and revokes it while the portal runs', async () => {
    const dataDir = tempDir('shiplog-collector-cli-');
    const collector = collectorIn(dataDir);

    const created = await collector('token', 'create', '--tenant', 'acme', '--role', 'upload', '--label', 'site A');
    expect(created.code).toBe(0);
    const secret = lastLine(created.stdout);
    expect(secret).toMatch(/^slc_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('Created tenant acme.');
    expect(created.stderr).toMatch(/Created token tok_\S+: upload for tenant acme/);

    const serve = openControl(join(dataDir, 'control.db'));
    try {
      const principal = authenticate(serve, secret);
      expect(principal.canUpload('acme')).toBe(true);

      const listed = await collector('token', 'list');
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain(principal.tokenId);
      expect(listed.stdout).toMatch(/upload\s+acme\s+active\s+never\s+\S+ \S+\s+site A/);
      expect(`${listed.stdout}${listed.stderr}`).not.toContain(secret.slice(4));

      const revoked = await collector('token', 'revoke', principal.tokenId);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`Revoked token ${principal.tokenId}`);
      expect(refusal(() => authenticate(serve, secret))).toBe('COLLECTOR_ERR_TOKEN_REVOKED');

      const json = await collector('token', 'list', '--json');
      expect(JSON.parse(json.stdout)).toEqual([
        expect.objectContaining({ id: principal.tokenId, role: 'upload', tenant: 'acme', state: 'revoked' }),
      ]);
      expect(json.stdout).not.toContain(secret.slice(4));

      const again = await collector('token', 'revoke', principal.tokenId);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('already revoked');
      expectCoded(await collector('token', 'revoke', 'tok_AAAAAAAAAAAAAAAA'), 'COLLECTOR_ERR_TOKEN_NOT_FOUND');

      const audit = queryAudit(serve, { kind: 'cli', user: 'test' }).entries;
      expect(audit.map((entry) => entry.action)).toEqual(['token.revoke', 'token.create', 'tenant.create']);
      expect(new Set(audit.map((entry) => entry.actor))).toEqual(new Set([`cli:${userInfo().username}`]));
    } finally {
      serve.close();
    }
  });

  it('makes a global admin with --tenant "*" and a staff token with --tenants', async () => {
    const collector = collectorIn(tempDir('shiplog-collector-cli-'));
    const global = await collector('token', 'create', '--tenant', '*', '--role', 'admin', '--expires', '30d', '--json');
    expect(global.code).toBe(0);
    const made = JSON.parse(global.stdout);
    expect(made).toMatchObject({ role: 'admin', tenant: '*', token: expect.stringMatching(/^slc_/) });
    expect(Date.parse(made.expires_at) - Date.parse(made.created_at)).toBe(30 * 86_400_000);

    const staff = await collector('token', 'create', '--role', 'staff', '--tenants', 'acme,beta');
    expect(staff.code).toBe(0);
    expect(lastLine(staff.stdout)).toMatch(/^slc_/);
    const forBeta = JSON.parse((await collector('token', 'list', '--tenant', 'beta', '--json')).stdout);
    expect(forBeta).toEqual([expect.objectContaining({ role: 'staff', tenant: null, tenants: ['acme', 'beta'] })]);
    expectCoded(await collector('token', 'list', '--tenant', 'gamma'), 'COLLECTOR_ERR_TENANT_NOT_FOUND');
  });

  it('refuses a bad role or tenant name with its code, creating nothing', async () => {
    const dataDir = tempDir('shiplog-collector-cli-');
    const collector = collectorIn(dataDir);
    expectCoded(
      await collector('token', 'create', '--tenant', 'acme', '--role', 'owner'),
      'COLLECTOR_ERR_TOKEN_ROLE_INVALID',
    );
    expectCoded(
      await collector('token', 'create', '--tenant', '*', '--role', 'upload'),
      'COLLECTOR_ERR_TOKEN_ROLE_INVALID',
    );
    for (const name of ['../x', 'a/b', 'Acme', '']) {
      const result = await collector('token', 'create', '--tenant', name, '--role', 'read');
      expectCoded(result, name === '' ? 'COLLECTOR_ERR_TOKEN_ROLE_INVALID' : 'COLLECTOR_ERR_TENANT_NAME_INVALID');
      expect(result.stdout).toBe('');
    }
    expectCoded(
      await collector('token', 'create', '--tenant', 'acme', '--role', 'read', '--expires', 'soon'),
      'COLLECTOR_ERR_TOKEN_OPTIONS_INVALID',
    );
    expectCoded(await collector('token', 'create', '--tenant', 'acme'), 'COLLECTOR_ERR_USAGE', 2);
    expectCoded(await collector('token', 'create', '--role', 'read', '--tenantt', 'acme'), 'COLLECTOR_ERR_USAGE', 2);
    expectCoded(await collector('token'), 'COLLECTOR_ERR_USAGE', 2);
    expect(JSON.parse((await collector('tenant', 'list', '--json')).stdout)).toEqual([]);
    expect(JSON.parse((await collector('token', 'list', '--json')).stdout)).toEqual([]);
    expect(readdirSync(dataDir).filter((name) => !name.startsWith('control.db'))).toEqual([]);
  });

  it('explains itself with --help', async () => {
    const collector = collectorIn(tempDir('shiplog-collector-cli-'));
    const token = await collector('token', '--help');
    expect(token.code).toBe(0);
    expect(token.stdout).toContain('token create --tenant NAME --role upload|read|admin');
    const tenant = await collector('tenant', 'create', '--help');
    expect(tenant.code).toBe(0);
    expect(tenant.stdout).toContain('tenant create NAME [--retention 90d]');
    const top = await collector('--help');
    for (const command of ['token', 'tenant']) expect(top.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });
});

describe('shiplog-collector tenant', () => {
  it('creates tenants idempotently, with a retention, and lists them', async () => {
    const collector = collectorIn(tempDir('shiplog-collector-cli-'));
    const created = await collector('tenant', 'create', 'acme', '--retention', '30d');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('Created tenant acme.');
    expect(created.stdout).toContain('kept 30 days');
    const again = await collector('tenant', 'create', 'acme');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('exists already');
    expect((await collector('tenant', 'create', 'beta')).code).toBe(0);

    const listed = await collector('tenant', 'list');
    expect(listed.stdout).toMatch(/^acme\s+\S+ \S+\s+30d$/m);
    expect(listed.stdout).toMatch(/^beta\s+\S+ \S+\s+90d \(default\)$/m);
    expect(JSON.parse((await collector('tenant', 'list', '--json')).stdout)).toEqual([
      expect.objectContaining({ name: 'acme', retention_days: 30, effective_retention_days: 30 }),
      expect.objectContaining({ name: 'beta', retention_days: null, effective_retention_days: 90 }),
    ]);
    expectCoded(await collector('tenant', 'create', '../acme'), 'COLLECTOR_ERR_TENANT_NAME_INVALID');
    expectCoded(
      await collector('tenant', 'create', 'gamma', '--retention', '36h'),
      'COLLECTOR_ERR_TENANT_RETENTION_INVALID',
    );
  });
});

describe('shiplog-collector configuration', () => {
  it('finds the data directory through --config or SHIPLOG_COLLECTOR_CONFIG, and explains a bad file', async () => {
    const dir = tempDir('shiplog-collector-cli-');
    const config = join(dir, 'collector.yml');
    writeFileSync(config, `data_dir: ${join(dir, 'data')}\nretention: 14d\n`);
    const env = { SHIPLOG_COLLECTOR_DATA_DIR: '', SHIPLOG_COLLECTOR_CONFIG: '' };
    const created = await shiplogCollector(['tenant', 'create', 'acme', '--config', config], { env });
    expect(created.code).toBe(0);
    expect(readdirSync(join(dir, 'data'))).toContain('control.db');
    const listed = await shiplogCollector(['tenant', 'list'], { env: { ...env, SHIPLOG_COLLECTOR_CONFIG: config } });
    expect(listed.stdout).toMatch(/^acme\s+.*14d \(default\)$/m);

    writeFileSync(config, `data_dir: ${join(dir, 'data')}\nretension: 14d\n`);
    const invalid = await shiplogCollector(['token', 'list', '--config', config], { env });
    expectCoded(invalid, 'COLLECTOR_ERR_CONFIG_INVALID');
    expect(invalid.stderr).toContain('retension');
    expectCoded(
      await shiplogCollector(['token', 'list', '--config', join(dir, 'missing.yml')], { env }),
      'COLLECTOR_ERR_CONFIG_UNREADABLE',
    );
  });
});
