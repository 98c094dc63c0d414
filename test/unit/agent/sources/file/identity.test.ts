import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FINGERPRINT_MAX_BYTES,
  fingerprintOf,
  identityKey,
  matchesFingerprint,
  readGzipHead,
  readHead,
} from '../../../../../agent/sources/file/identity.ts';

describe('file identity', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shiplog-identity-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fingerprints the first line, so the identity is fixed as soon as one line is complete', () => {
    const first = fingerprintOf(Buffer.from('Jan  1 00:00:00 h a: one\n'));
    const grown = fingerprintOf(Buffer.from('Jan  1 00:00:00 h a: one\nJan  1 00:00:01 h a: two\n'));
    expect(first).toEqual(grown);
    expect(first?.length).toBe(25);
  });

  it('fingerprints the first 1 KiB when the first line is longer', () => {
    const fp = fingerprintOf(Buffer.alloc(FINGERPRINT_MAX_BYTES, 'a'));
    expect(fp?.length).toBe(FINGERPRINT_MAX_BYTES);
  });

  it('has no identity yet for a file without a complete line and under 1 KiB', () => {
    expect(fingerprintOf(Buffer.from(''))).toBeUndefined();
    expect(fingerprintOf(Buffer.from('partial line'))).toBeUndefined();
  });

  it('tells a reused inode from the file that had it, by content', () => {
    const fp = fingerprintOf(Buffer.from('Mar  1 00:00:00 h a: old file\n'));
    if (!fp) throw new Error('no fingerprint');
    expect(matchesFingerprint(Buffer.from('Mar  1 00:00:00 h a: old file\nmore\n'), fp)).toBe(true);
    expect(matchesFingerprint(Buffer.from('Mar  2 00:00:00 h a: new file\n'), fp)).toBe(false);
    expect(matchesFingerprint(Buffer.from('Mar  1 00:00'), fp)).toBe(false);
    expect(identityKey(2049, 131, fp)).toMatch(/^2049:131:[0-9a-f]{16}$/);
  });

  it('reads the same head from a file and from its .gz', async () => {
    const text = `${'Apr  4 04:04:04 h a: x\n'.repeat(100)}`;
    await writeFile(join(dir, 'app.log'), text);
    await writeFile(join(dir, 'app.log.1.gz'), gzipSync(text));
    const handle = await open(join(dir, 'app.log'), 'r');
    const plain = await readHead(handle);
    await handle.close();
    const gz = await readGzipHead(join(dir, 'app.log.1.gz'));
    expect(gz.equals(plain)).toBe(true);
    expect(plain.length).toBe(FINGERPRINT_MAX_BYTES);
  });
});
