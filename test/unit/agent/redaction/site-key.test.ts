import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../../agent/redaction/index.ts';
import { loadOrCreateSiteKey, siteKeyId, siteKeyPath } from '../../../../agent/redaction/site-key.ts';
import { tempDir } from '../../../helpers/temp.ts';

const dataDir = () => tempDir('shiplog-sitekey-');

describe('site key', () => {
  it('is created on first use with mode 0600 in a 0700 folder, then reused', () => {
    const dir = dataDir();
    const first = loadOrCreateSiteKey(dir);
    expect(statSync(siteKeyPath(dir)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    expect(first.id).toMatch(/^[0-9a-f]{16}$/);
    expect(first.id).toBe(siteKeyId(first.key));
    expect(loadOrCreateSiteKey(dir).key.equals(first.key)).toBe(true);
  });

  it('gives the same pseudonyms across runs, and others for another site', () => {
    const dir = dataDir();
    const line = 'login from 10.9.8.7 by ann@bank.co.uk';
    const run1 = createRedactor({ dataDir: dir }).redactText(line).text;
    const run2 = createRedactor({ dataDir: dir }).redactText(line).text;
    const other = createRedactor({ dataDir: dataDir() }).redactText(line).text;
    expect(run2).toBe(run1);
    expect(other).not.toBe(run1);
  });

  it('is never written into output, and only its id is reported', () => {
    const dir = dataDir();
    const redactor = createRedactor({ dataDir: dir });
    const hex = readFileSync(siteKeyPath(dir), 'latin1').trim();
    expect(redactor.keyId).toBe(siteKeyId(Buffer.from(hex, 'hex')));
    expect(redactor.redactText(`key ${hex}`).text).not.toContain(hex.slice(0, 16));
  });

  it('refuses a key other users can read, and a damaged key', () => {
    const dir = dataDir();
    loadOrCreateSiteKey(dir);
    chmodSync(siteKeyPath(dir), 0o644);
    expect(() => loadOrCreateSiteKey(dir)).toThrow(expect.objectContaining({ code: 'SHIPLOG_ERR_REDACTION_SITE_KEY' }));
    chmodSync(siteKeyPath(dir), 0o600);
    writeFileSync(siteKeyPath(dir), 'not hex\n');
    expect(() => loadOrCreateSiteKey(dir)).toThrow(/not 64 hexadecimal digits/);
  });
});
