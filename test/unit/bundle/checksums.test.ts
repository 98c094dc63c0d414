import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestOf, formatSha256Sums, isPlainBundlePath, parseSha256Sums } from '../../../bundle/checksums.ts';
import { tempDir } from '../../helpers/temp.ts';

describe('SHA256SUMS', () => {
  it('is sorted, relative, and accepted by sha256sum -c', () => {
    const dir = tempDir('shiplog-sums-');
    const files = { 'syslog/messages': 'b\n', 'SUMMARY.txt': 'a\n', 'containers/web/web.log': 'c\n' };
    mkdirSync(join(dir, 'syslog'));
    mkdirSync(join(dir, 'containers/web'), { recursive: true });
    for (const [path, body] of Object.entries(files)) writeFileSync(join(dir, path), body);
    const sums = formatSha256Sums(
      Object.entries(files).map(([path, body]) => ({ path, ...digestOf(Buffer.from(body)) })),
    );
    expect(
      sums
        .split('\n')
        .slice(0, 3)
        .map((line) => line.slice(66)),
    ).toEqual(['SUMMARY.txt', 'containers/web/web.log', 'syslog/messages']);
    writeFileSync(join(dir, 'SHA256SUMS'), sums);
    expect(execFileSync('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: dir }).toString()).toContain(
      'syslog/messages: OK',
    );
    expect([...parseSha256Sums(sums).keys()]).toEqual(['SUMMARY.txt', 'containers/web/web.log', 'syslog/messages']);
  });

  it('refuses malformed lines, repeated paths and unsafe paths', () => {
    const hash = 'a'.repeat(64);
    expect(() => parseSha256Sums(`${hash} x\n`)).toThrow(/line 1/);
    expect(() => parseSha256Sums(`${hash}  x\n${hash}  x\n`)).toThrow(/twice/);
    expect(() => parseSha256Sums(`${hash}  ../etc/passwd\n`)).toThrow(/line 1/);
    for (const bad of ['/etc/passwd', 'a/../b', 'a//b', 'a\\b', 'a\nb', '', 'dir/'])
      expect(isPlainBundlePath(bad)).toBe(false);
    expect(isPlainBundlePath('containers/web-1/web-1.log')).toBe(true);
  });
});
