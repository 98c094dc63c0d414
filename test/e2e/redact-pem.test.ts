// `shiplog redact` on a private key whose END never came (issue #10, item 10):
// everything after the BEGIN is masked, past the 200 lines it once stopped
// at, and the report says that the block was cut.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shiplog } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const env = (dataDir: string) => ({ SHIPLOG_DATA_DIR: dataDir, SHIPLOG_REDACTION_RULES: '' });

describe('shiplog redact on a PEM key with no END', () => {
  const key = Array.from({ length: 320 }, () => randomBytes(48).toString('base64'));
  const input = [
    '2024-03-14T10:11:12Z INFO loading TLS key',
    '-----BEGIN RSA PRIVATE KEY-----',
    'Proc-Type: 4,ENCRYPTED',
    'DEK-Info: AES-128-CBC,2B9B3B8E5E1E4C1F8A6B2C3D4E5F6A7B',
    '',
    ...key,
    '2024-03-14T10:11:13Z ERROR worker died while printing the key (exit 137)',
  ].join('\n');

  it('masks every key line after the BEGIN and reports the block as unterminated', async () => {
    const dir = tempDir('shiplog-e2e-redact-pem-');
    const report = join(dir, 'report.json');
    const result = await shiplog(['redact', '--report', report], { input: `${input}\n`, env: env(dir) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(input.split('\n').length + 1);
    expect(lines.slice(0, 2)).toEqual(['2024-03-14T10:11:12Z INFO loading TLS key', '-----BEGIN RSA PRIVATE KEY-----']);
    expect(key.filter((line) => result.stdout.includes(line))).toEqual([]);
    expect(result.stdout).not.toContain('2B9B3B8E5E1E4C1F8A6B2C3D4E5F6A7B');
    // Every line after the BEGIN but the blank one was changed, the last beyond line 200 as well.
    expect(lines.slice(2, -1).filter((line) => line !== '' && !line.includes('[REDACTED:private-key]'))).toEqual([]);

    const written = JSON.parse(readFileSync(report, 'utf8'));
    expect(written.counts.by_rule['private-key:unterminated']).toBe(1);
    expect(written.counts.by_rule['private-key']).toBe(key.length + 3);
  });

  it('lists the findings with --scan and counts the cut block, and finds nothing in its own output', async () => {
    const dir = tempDir('shiplog-e2e-redact-pem-');
    const report = join(dir, 'scan.json');
    const scan = await shiplog(['redact', '--scan', '--report', report], { input, env: env(dir) });
    expect(scan.code).toBe(3);
    expect(scan.stdout.trim().split('\n')).toHaveLength(key.length + 3);
    expect(JSON.parse(readFileSync(report, 'utf8')).counts.by_rule['private-key:unterminated']).toBe(1);

    const redacted = await shiplog(['redact'], { input, env: env(dir) });
    const again = await shiplog(['redact', '--scan'], { input: redacted.stdout, env: env(dir) });
    expect(again.stdout).toBe('');
    expect(again.code).toBe(0);
  });
});
