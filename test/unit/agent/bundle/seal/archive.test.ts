import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeArchive } from '../../../../../agent/bundle/seal/archive.ts';
import { tempDir } from '../../../../helpers/temp.ts';
import { buildBundle, content, readTarItems } from './make-bundle.ts';

function ageIdentity(dir: string): { identity: string; recipient: string } {
  const identity = join(dir, 'vendor.key');
  execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
  return { identity, recipient: execFileSync('age-keygen', ['-y', identity]).toString().trim() };
}

function checkWithStandardTools(dir: string): void {
  expect(execFileSync('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: dir }).toString()).not.toContain('FAILED');
  writeFileSync(
    join(dir, 'allowed_signers'),
    `shiplog namespaces="shiplog-bundle" ${readFileSync(join(dir, 'signing-key.pub'), 'utf8')}`,
  );
  const verify = spawnSync(
    'ssh-keygen',
    ['-Y', 'verify', '-f', 'allowed_signers', '-I', 'shiplog', '-n', 'shiplog-bundle', '-s', 'manifest.json.sig'],
    { cwd: dir, input: readFileSync(join(dir, 'manifest.json')) },
  );
  expect(verify.status, verify.stderr.toString()).toBe(0);
}

const rootOrder = ['manifest.json', 'manifest.json.sig', 'SHA256SUMS', 'signing-key.pub', 'SUMMARY.txt'];

describe('bundle archive', () => {
  it('writes gzip that plain tar opens, in the bundle layout, checkable without shiplog', async () => {
    const dir = tempDir('shiplog-archive-');
    const { path, sealed } = await buildBundle(dir);
    const list = execFileSync('tar', ['-tzf', path]).toString().trim().split('\n');
    expect(list.slice(0, 5)).toEqual(rootOrder);
    expect(list.slice(5)).toEqual(['containers/web/web.log', 'syslog/messages', 'host/uptime']);
    execFileSync('tar', ['-xzf', path], { cwd: dir });
    checkWithStandardTools(dir);
    expect(readFileSync(join(dir, 'syslog/messages'))).toEqual(content['syslog/messages']);
    expect(sealed.output.size).toBe(readFileSync(path).length);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);
  });

  it('writes zstd that tar -I zstd opens', async () => {
    const dir = tempDir('shiplog-archive-');
    const { path } = await buildBundle(dir, { name: 'bundle.tar.zst', compression: 'zstd' });
    execFileSync('tar', ['-I', 'zstd', '-xf', path], { cwd: dir });
    checkWithStandardTools(dir);
  });

  it.each(['gzip', 'zstd'] as const)('encrypts %s with age so that age -d decrypts it', async (compression) => {
    const dir = tempDir('shiplog-archive-');
    const { identity, recipient } = ageIdentity(dir);
    const { path } = await buildBundle(dir, { name: 'bundle.age', compression, recipient });
    expect(readFileSync(path).subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    const plain = execFileSync('age', ['-d', '-i', identity, path], { maxBuffer: 64 * 1024 * 1024 });
    writeFileSync(join(dir, 'plain'), plain);
    execFileSync('tar', [compression === 'zstd' ? '--zstd' : '-z', '-xf', 'plain'], { cwd: dir });
    checkWithStandardTools(dir);
  });

  it('leaves the bundle at a temporary name until release, and nothing after abort', async () => {
    const dir = tempDir('shiplog-archive-');
    const out = join(dir, 'out.tar.gz');
    const pending = await writeArchive([{ path: 'a.txt', source: { bytes: Buffer.from('a\n') } }], out);
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^\.out\.tar\.gz\.[0-9a-f]+\.partial$/)]);
    await pending.abort();
    expect(readdirSync(dir)).toEqual([]);
    await expect(pending.release()).rejects.toThrow();
    const released = await writeArchive([{ path: 'a.txt', source: { bytes: Buffer.from('a\n') } }], out);
    expect(await released.release()).toBe(out);
    expect(readdirSync(dir)).toEqual(['out.tar.gz']);
  });

  it('fails and leaves nothing when a staged file changed after it was hashed', async () => {
    const dir = tempDir('shiplog-archive-');
    writeFileSync(join(dir, 'src'), 'changed\n');
    const write = writeArchive(
      [{ path: 'a.txt', source: { file: join(dir, 'src'), size: 8 }, sha256: '0'.repeat(64) }],
      join(dir, 'out.tar.gz'),
    );
    await expect(write).rejects.toMatchObject({ code: 'SHIPLOG_ERR_BUNDLE_WRITE' });
    expect(readdirSync(dir)).toEqual(['src']);
  });

  it('streams entries from readable sources to a stream output', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    const pending = await writeArchive(
      [
        {
          path: 'big/file',
          source: { stream: Readable.from([big.subarray(0, 1000), big.subarray(1000)]), size: big.length },
        },
      ],
      out,
    );
    expect(pending.path).toBeUndefined();
    expect(pending.entries).toEqual([
      { path: 'big/file', size: big.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    const items = readTarItems(gunzipSync(Buffer.concat(chunks)));
    expect(items.map((item) => item.name)).toEqual(['big/file']);
    expect(items[0]?.data.equals(big)).toBe(true);
  });

  it('refuses entry paths that are not plain relative paths', async () => {
    const dir = tempDir('shiplog-archive-');
    await expect(
      writeArchive([{ path: '../evil', source: { bytes: Buffer.from('x') } }], join(dir, 'o.tgz')),
    ).rejects.toMatchObject({ code: 'SHIPLOG_ERR_BUNDLE_WRITE' });
    expect(readdirSync(dir)).toEqual([]);
  });
});
