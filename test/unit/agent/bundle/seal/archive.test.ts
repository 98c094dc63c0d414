import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type PackedBody, writeArchive } from '../../../../../agent/bundle/seal/archive.ts';
import { blockFormat, type Compression } from '../../../../../agent/bundle/seal/compress.ts';
import { checkOutputPath, createOutputFile } from '../../../../../agent/bundle/seal/output.ts';
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

  describe('putting the bundle in place', () => {
    const entry = () => [{ path: 'a.txt', source: { bytes: Buffer.from('a\n') } }];
    const partials = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.partial'));

    it('does not replace a file that appeared at the path while the bundle was written, unless asked', async () => {
      const dir = tempDir('shiplog-archive-');
      const out = join(dir, 'out.tar.gz');
      const pending = await writeArchive(entry(), out);
      writeFileSync(out, 'written meanwhile\n');
      await expect(pending.release()).rejects.toMatchObject({ code: 'SHIPLOG_ERR_DUMP_OUT_EXISTS' });
      expect(readFileSync(out, 'utf8')).toBe('written meanwhile\n');
      expect(partials(dir)).toEqual([]);

      const replacing = await writeArchive(entry(), out, { replace: true });
      expect(await replacing.release()).toBe(out);
      expect(execFileSync('tar', ['-xzOf', out, 'a.txt']).toString()).toBe('a\n');
      expect(partials(dir)).toEqual([]);
    });

    it('regression: a directory at the path failed the release with EISDIR and left the whole bundle as .partial', async () => {
      const dir = tempDir('shiplog-archive-');
      const out = join(dir, 'out.tar.gz');
      const pending = await writeArchive(entry(), out, { replace: true });
      mkdirSync(out);
      await expect(pending.release()).rejects.toMatchObject({
        code: 'SHIPLOG_ERR_DUMP_OUT_NOT_A_FILE',
        message: expect.stringContaining('is a directory'),
      });
      expect(readdirSync(dir)).toEqual(['out.tar.gz']);
      expect(readdirSync(out)).toEqual([]);
    });

    it('never puts the bundle in place of a symbolic link, FIFO or device, even when asked to replace', async () => {
      const dir = tempDir('shiplog-archive-');
      writeFileSync(join(dir, 'target'), 'kept\n');
      symlinkSync(join(dir, 'target'), join(dir, 'link'));
      symlinkSync('/proc/self/fd/1', join(dir, 'stdout'));
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      for (const [name, kind] of [
        ['link', 'a symbolic link'],
        ['stdout', 'a symbolic link'],
        ['fifo', 'a FIFO (named pipe)'],
      ]) {
        const pending = await writeArchive(entry(), join(dir, name as string), { replace: true });
        await expect(pending.release(), name).rejects.toMatchObject({
          code: 'SHIPLOG_ERR_DUMP_OUT_NOT_A_FILE',
          details: { kind },
        });
      }
      expect(lstatSync(join(dir, 'link')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(dir, 'target'), 'utf8')).toBe('kept\n');
      expect(lstatSync(join(dir, 'fifo')).isFIFO()).toBe(true);
      expect(partials(dir)).toEqual([]);
      await expect(checkOutputPath('/dev/null', { replace: true })).rejects.toMatchObject({
        code: 'SHIPLOG_ERR_DUMP_OUT_NOT_A_FILE',
        details: { kind: 'a device' },
      });
    });

    it('checks a path before anything is built, as the release will', async () => {
      const dir = tempDir('shiplog-archive-');
      writeFileSync(join(dir, 'file'), 'x');
      mkdirSync(join(dir, 'dir'));
      await expect(checkOutputPath(join(dir, 'new.tar.gz'))).resolves.toBeUndefined();
      await expect(checkOutputPath(join(dir, 'file'))).rejects.toMatchObject({ code: 'SHIPLOG_ERR_DUMP_OUT_EXISTS' });
      await expect(checkOutputPath(join(dir, 'file'), { replace: true })).resolves.toBeUndefined();
      await expect(checkOutputPath(join(dir, 'dir'), { replace: true })).rejects.toMatchObject({
        code: 'SHIPLOG_ERR_DUMP_OUT_NOT_A_FILE',
      });
      await expect(checkOutputPath(join(dir, 'missing', 'b.tar.gz'))).rejects.toMatchObject({
        code: 'SHIPLOG_ERR_BUNDLE_WRITE',
        message: expect.stringContaining('missing cannot be used (ENOENT)'),
      });
      await expect(checkOutputPath(join(dir, 'file', 'b.tar.gz'))).rejects.toMatchObject({
        code: 'SHIPLOG_ERR_BUNDLE_WRITE',
      });
      expect(readdirSync(dir).sort()).toEqual(['dir', 'file']);
    });

    it('removes the temporary file when the writer of the bundle is stopped half way', async () => {
      const dir = tempDir('shiplog-archive-');
      const file = await createOutputFile(join(dir, 'out.tar.gz'));
      file.stream.write(Buffer.alloc(1024));
      expect(partials(dir)).toHaveLength(1);
      await file.abort();
      await file.abort();
      expect(readdirSync(dir)).toEqual([]);
      await expect(file.release()).rejects.toThrow('release() after abort()');
    });
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

  it.each(['gzip', 'zstd'] as const)(
    'puts a body compressed ahead (%s) between its header and the next entry, as the standard tools read it',
    async (compression: Compression) => {
      const dir = tempDir('shiplog-archive-');
      const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join(''));
      const plain = join(dir, 'plain');
      writeFileSync(plain, body);
      // Two blocks, as a staging worker writes them.
      const pack = compression === 'gzip' ? (b: Buffer) => gzipSync(b) : (b: Buffer) => zstdCompressSync(b);
      const packedBytes = Buffer.concat([pack(body.subarray(0, 1000)), pack(body.subarray(1000))]);
      writeFileSync(join(dir, 'packed'), packedBytes);
      const packed: PackedBody = { ...blockFormat(compression), file: join(dir, 'packed'), ...digest(packedBytes) };
      const long = `syslog/${'n'.repeat(120)}/${'m'.repeat(90)}`;
      const out = join(dir, 'out.tar');
      const pending = await writeArchive(
        [
          { path: 'first.txt', source: { bytes: Buffer.from('first\n') } },
          { path: long, source: { file: plain, size: body.length, packed }, sha256: digest(body).sha256 },
          { path: 'last.txt', source: { bytes: Buffer.from('last\n') } },
        ],
        out,
        { compression },
      );
      await pending.release();
      expect(pending.entries.map((entry) => entry.path)).toEqual(['first.txt', long, 'last.txt']);
      const flag = compression === 'gzip' ? '-z' : '--zstd';
      execFileSync('tar', [flag, '-xf', out], { cwd: dir });
      expect(readFileSync(join(dir, long)).equals(body)).toBe(true);
      expect(readFileSync(join(dir, 'last.txt'), 'utf8')).toBe('last\n');
    },
  );

  it('fails and leaves nothing when a body compressed ahead is not what its worker wrote', async () => {
    const dir = tempDir('shiplog-archive-');
    const body = Buffer.from('staged\n');
    writeFileSync(join(dir, 'plain'), body);
    writeFileSync(join(dir, 'packed'), gzipSync(Buffer.from('changed\n')));
    const packed: PackedBody = {
      ...blockFormat('gzip'),
      file: join(dir, 'packed'),
      ...digest(gzipSync(body)),
    };
    const write = writeArchive(
      [{ path: 'a.txt', source: { file: join(dir, 'plain'), size: body.length, packed }, sha256: digest(body).sha256 }],
      join(dir, 'out.tar.gz'),
    );
    await expect(write).rejects.toMatchObject({ code: 'SHIPLOG_ERR_BUNDLE_WRITE' });
    expect(readdirSync(dir).sort()).toEqual(['packed', 'plain']);
  });

  it('compresses the file itself when the body was compressed ahead in another format', async () => {
    const dir = tempDir('shiplog-archive-');
    const body = Buffer.from('staged\n');
    writeFileSync(join(dir, 'plain'), body);
    writeFileSync(join(dir, 'packed'), gzipSync(body));
    const packed: PackedBody = { ...blockFormat('gzip'), file: join(dir, 'packed'), ...digest(gzipSync(body)) };
    const out = join(dir, 'out.tar.zst');
    const pending = await writeArchive(
      [{ path: 'a.txt', source: { file: join(dir, 'plain'), size: body.length, packed }, sha256: digest(body).sha256 }],
      out,
      { compression: 'zstd' },
    );
    await pending.release();
    execFileSync('tar', ['--zstd', '-xf', out], { cwd: dir });
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('staged\n');
  });
});

function digest(bytes: Buffer): { size: number; sha256: string } {
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
