import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSiblings, looksRotated, siblingRank } from '../../../../../agent/sources/file/rotated.ts';

describe('rotated siblings', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shiplog-rotated-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('recognises logrotate and rsyslog names, and nothing else', () => {
    expect(siblingRank('messages', 'messages.1')).toEqual({ rank: -1, gzip: false });
    expect(siblingRank('messages', 'messages.2.gz')).toEqual({ rank: -2, gzip: true });
    expect(siblingRank('messages', 'messages-20260301')?.gzip).toBe(false);
    expect(siblingRank('messages', 'messages-2026030112.gz')?.gzip).toBe(true);
    expect(siblingRank('messages', 'messages')).toBeUndefined();
    expect(siblingRank('messages', 'messages.bak')).toBeUndefined();
    expect(siblingRank('messages', 'messages2')).toBeUndefined();
  });

  it('lists them oldest first, and prefers a plain file to a .gz still being written', async () => {
    for (const name of ['syslog', 'syslog.1', 'syslog.2.gz', 'syslog.3.gz', 'syslog.1.gz', 'other.1']) {
      await writeFile(join(dir, name), 'x\n');
    }
    const listed = await listSiblings(join(dir, 'syslog'), true);
    expect(listed.map((s) => basename(s.path))).toEqual(['syslog.3.gz', 'syslog.2.gz', 'syslog.1']);
    const plainOnly = await listSiblings(join(dir, 'syslog'), false);
    expect(plainOnly.map((s) => basename(s.path))).toEqual(['syslog.1']);
  });

  it('orders dated rotations by date', async () => {
    for (const name of ['secure', 'secure-20260301.gz', 'secure-20260215', 'secure-20260308']) {
      await writeFile(join(dir, name), 'x\n');
    }
    const listed = await listSiblings(join(dir, 'secure'), true);
    expect(listed.map((s) => basename(s.path))).toEqual(['secure-20260215', 'secure-20260301.gz', 'secure-20260308']);
  });

  it('does not take a rotated copy matched by a glob for a live file', () => {
    const live = new Set(['/var/log/messages', '/var/log/messages.1']);
    expect(looksRotated('/var/log/messages.1', live)).toBe(true);
    expect(looksRotated('/var/log/messages', live)).toBe(false);
  });
});
