import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from '../../../../../agent/bundle/seal/signing-key.ts';
import { tempDir } from '../../../../helpers/temp.ts';

describe('host signing key', () => {
  it('is created on first use, private to the user, and reused afterwards', () => {
    const dataDir = join(tempDir('shiplog-key-'), 'data');
    const first = loadOrCreateSigningKey(dataDir);
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(dataDir, 'keys', 'bundle-signing'));
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'keys')).mode & 0o777).toBe(0o700);
    expect(readFileSync(first.path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(first.publicKeyLine).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=* shiplog@\S+$/);
    expect(readFileSync(`${first.path}.pub`, 'utf8')).toBe(`${first.publicKeyLine}\n`);
    expect(first.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(first.allowedSigners).toBe(
      `shiplog namespaces="shiplog-bundle" ${first.publicKeyLine.split(' ').slice(0, 2).join(' ')}`,
    );
    const again = loadOrCreateSigningKey(dataDir);
    expect(again.created).toBe(false);
    expect(again.fingerprint).toBe(first.fingerprint);
  });

  it('refuses a key file that is not a private key, with its own code', () => {
    const dataDir = tempDir('shiplog-key-');
    loadOrCreateSigningKey(dataDir);
    const path = join(dataDir, 'keys', 'bundle-signing');
    writeFileSync(path, 'garbage');
    expect(() => loadOrCreateSigningKey(dataDir)).toThrow(
      expect.objectContaining({ code: 'SHIPLOG_ERR_BUNDLE_SIGNING_KEY' }),
    );
  });
});
