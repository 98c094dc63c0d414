// `shiplog verify` and `shiplog keys` as a user runs them: separate processes,
// exit codes and the words printed.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shiplog } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { buildBundle } from '../unit/agent/bundle/seal/make-bundle.ts';

describe('shiplog keys', () => {
  it('creates the host key on first use and prints its fingerprint and allowed_signers line', async () => {
    const dataDir = tempDir('shiplog-e2e-keys-');
    const env = { SHIPLOG_DATA_DIR: dataDir };
    const first = await shiplog(['keys'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/fingerprint {2}SHA256:[A-Za-z0-9+/]{43}\n/);
    expect(first.stdout).toMatch(/shiplog namespaces="shiplog-bundle" ssh-ed25519 AAAA\S+\n/);
    const json = await shiplog(['keys', '--json'], { env });
    const keys = JSON.parse(json.stdout);
    expect(keys).toMatchObject({ created: false, path: join(dataDir, 'keys', 'bundle-signing') });
    expect(first.stdout).toContain(keys.fingerprint);
    expect(readFileSync(join(dataDir, 'keys', 'bundle-signing.pub'), 'utf8')).toBe(`${keys.public_key}\n`);
  });
});

describe('shiplog verify', () => {
  it('exits 0 for an intact bundle and 1 with a stable code for a damaged one', async () => {
    const dir = tempDir('shiplog-e2e-verify-');
    const { path, key } = await buildBundle(dir);
    const ok = await shiplog(['verify', path]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK {2}/);
    expect(ok.stdout).toContain('NOT checked against a trusted key');

    const signer = join(dir, 'allowed_signers');
    writeFileSync(signer, `${key.allowedSigners}\n`);
    const trusted = await shiplog(['verify', path, '--signer', signer, '--json']);
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.stdout)).toMatchObject({
      ok: true,
      signer: { fingerprint: key.fingerprint, trusted: true },
    });

    const other = await buildBundle(tempDir('shiplog-e2e-other-'));
    const wrong = await shiplog(['verify', other.path, '--signer', signer]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('[SHIPLOG_ERR_BUNDLE_WRONG_SIGNER]');

    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.tar.gz');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const truncated = await shiplog(['verify', cut, '--json']);
    expect(truncated.code).toBe(1);
    expect(JSON.parse(truncated.stdout)).toMatchObject({ ok: false, code: 'SHIPLOG_ERR_BUNDLE_TRUNCATED' });
  });

  it('asks for --identity on an encrypted bundle and refuses bad usage', async () => {
    const dir = tempDir('shiplog-e2e-verify-');
    const { path } = await buildBundle(dir, {
      name: 'b.age',
      recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    });
    const encrypted = await shiplog(['verify', path]);
    expect(encrypted.code).toBe(1);
    expect(encrypted.stdout).toContain('--identity');
    expect(encrypted.stdout).toContain('[SHIPLOG_ERR_BUNDLE_DECRYPT]');
    const usage = await shiplog(['verify']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('SHIPLOG_ERR_USAGE');
  });
});
