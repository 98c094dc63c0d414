import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEvent, readUploadToken, uploadEndpoint } from '../../../../agent/upload/send.ts';
import { tempDir } from '../../../helpers/temp.ts';

const token = 'slc_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';

describe("the portal's address", () => {
  it.each([
    ['https://portal.example.com', 'https://portal.example.com/api/v1/uploads'],
    ['https://portal.example.com/', 'https://portal.example.com/api/v1/uploads'],
    ['https://example.com/shiplog/', 'https://example.com/shiplog/api/v1/uploads'],
    ['https://portal.example.com/api/v1/uploads/', 'https://portal.example.com/api/v1/uploads'],
    ['http://127.0.0.1:8080/api/v1/uploads', 'http://127.0.0.1:8080/api/v1/uploads'],
    ['https://portal.example.com/?tenant=acme#top', 'https://portal.example.com/api/v1/uploads?tenant=acme'],
  ])('%s is uploaded to at %s', (given, endpoint) => {
    expect(uploadEndpoint(given).href).toBe(endpoint);
  });

  it.each([
    ['portal.example.com', 'is not a URL'],
    ['ftp://portal.example.com', 'not an http:// or https:// address'],
    ['https://user:slc_x@portal.example.com', 'user name or password'],
  ])('%s is a usage error', (given, said) => {
    expect(() => uploadEndpoint(given)).toThrow(expect.objectContaining({ code: 'SHIPLOG_ERR_USAGE' }));
    expect(() => uploadEndpoint(given)).toThrow(said);
  });
});

describe('the upload token', () => {
  it('comes from SHIPLOG_UPLOAD_TOKEN, or from --token-file, which wins', async () => {
    expect(await readUploadToken({ SHIPLOG_UPLOAD_TOKEN: ` ${token}\n` }, undefined)).toBe(token);
    const file = join(tempDir('shiplog-token-'), 'token');
    writeFileSync(file, `# from the vendor, 2026-11-25\n\n${token}\n`, { mode: 0o600 });
    expect(await readUploadToken({ SHIPLOG_UPLOAD_TOKEN: 'slc_other' }, file)).toBe(token);
  });

  it('is a coded error with advice when absent, unreadable, empty or malformed, and never shown', async () => {
    const dir = tempDir('shiplog-token-');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n\n');
    const locked = join(dir, 'locked');
    writeFileSync(locked, token);
    chmodSync(locked, 0o000);
    const cases: Array<[NodeJS.ProcessEnv, string | undefined, string]> = [
      [{}, undefined, 'SHIPLOG_UPLOAD_TOKEN is not set and no --token-file was given'],
      [{ SHIPLOG_UPLOAD_TOKEN: '  ' }, undefined, 'SHIPLOG_UPLOAD_TOKEN is not set'],
      [{}, join(dir, 'absent'), `the token file ${join(dir, 'absent')} cannot be read (ENOENT)`],
      [{}, empty, `the token file ${empty} is empty`],
      [{ SHIPLOG_UPLOAD_TOKEN: `${token} extra` }, undefined, 'holds spaces or characters no token has'],
    ];
    if (process.getuid?.() !== 0) cases.push([{}, locked, 'cannot be read (EACCES)']);
    for (const [env, file, said] of cases) {
      const error = await readUploadToken(env, file).catch((e: Error & { code: string }) => e);
      expect(error).toMatchObject({ code: 'SHIPLOG_ERR_UPLOAD_NO_TOKEN' });
      expect((error as Error).message).toContain(said);
      expect((error as Error).message).toContain('--token-file FILE');
      expect((error as Error).message).not.toContain(token);
    }
  });
});

describe('progress lines', () => {
  it('say what happens in words', () => {
    expect(describeEvent({ kind: 'resumed', offset: 1536, size: 4096, first: true })).toBe(
      'Resuming the earlier upload: the portal holds 1.5 KiB of 4.0 KiB already; sending the rest.',
    );
    expect(
      describeEvent({ kind: 'retrying', reason: 'ECONNRESET: socket hang up', delayMs: 2000, attempt: 3, attempts: 6 }),
    ).toBe('Upload interrupted (ECONNRESET: socket hang up); trying again in 2 s (attempt 3 of 6).');
    expect(describeEvent({ kind: 'restarted', reason: 'the portal no longer has the earlier upload' })).toBe(
      'The portal no longer has the earlier upload; starting a new upload.',
    );
  });
});
