import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from '../../../agent/bundle/seal/signing-key.ts';
import { verifyBundle } from '../../../agent/bundle/verify.ts';
import { loadTrustedSigners } from '../../../bundle/trust.ts';
import { tempDir } from '../../helpers/temp.ts';
import { type Built, buildBundle, makeTar, rewriteBundle, type TarItem } from '../agent/bundle/seal/make-bundle.ts';

let dir: string;
let built: Built;
let original: Buffer;

beforeAll(async () => {
  dir = tempDir('shiplog-verify-');
  built = await buildBundle(dir);
  original = readFileSync(built.path);
});

function write(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function rewrite(name: string, edit: (items: TarItem[]) => TarItem[]): string {
  return write(name, rewriteBundle(original, edit));
}

const code = (c: string) => expect.objectContaining({ code: `SHIPLOG_ERR_BUNDLE_${c}` });

describe('verifyBundle', () => {
  it('accepts an intact bundle and says the signer was not checked without --signer', async () => {
    const result = await verifyBundle(built.path);
    expect(result.signer).toMatchObject({ fingerprint: built.key.fingerprint, trusted: false });
    expect(result.files).toBe(5);
    expect(result.manifest.host.name).toBe('bank-host-01');
  });

  it('accepts a trusted signer given as public key, allowed_signers or fingerprint', async () => {
    const pub = write('signer.pub', Buffer.from(`${built.key.publicKeyLine}\n`));
    const allowed = write('allowed', Buffer.from(`# vendor keyring\n${built.key.allowedSigners}\n`));
    for (const signer of [pub, allowed, built.key.fingerprint]) {
      const result = await verifyBundle(built.path, { trusted: loadTrustedSigners(signer) });
      expect(result.signer.trusted).toBe(true);
    }
  });

  it('rejects a bundle signed by another key when --signer names the expected one (WRONG_SIGNER)', async () => {
    const other = await buildBundle(tempDir('shiplog-verify-other-'));
    const trusted = loadTrustedSigners(built.key.fingerprint);
    await expect(verifyBundle(other.path, { trusted })).rejects.toThrow(code('WRONG_SIGNER'));
  });

  it('rejects a signature by another key over the same manifest (BAD_SIGNATURE)', async () => {
    const intruder = loadOrCreateSigningKey(tempDir('shiplog-verify-intruder-'));
    const path = rewrite('resigned.tgz', (items) => {
      const manifest = items.find((i) => i.name === 'manifest.json')?.data ?? Buffer.alloc(0);
      return items.map((i) =>
        i.name === 'manifest.json.sig' ? { ...i, data: Buffer.from(intruder.sign(manifest, 'shiplog-bundle')) } : i,
      );
    });
    await expect(verifyBundle(path)).rejects.toThrow(code('BAD_SIGNATURE'));
  });

  it('rejects a flipped byte in a content file (TAMPERED)', async () => {
    const path = rewrite('flipped.tgz', (items) =>
      items.map((i) => {
        if (i.name !== 'containers/web/web.log') return i;
        const data = Buffer.from(i.data);
        data[0] = (data[0] ?? 0) ^ 1;
        return { ...i, data };
      }),
    );
    await expect(verifyBundle(path)).rejects.toThrow(code('TAMPERED'));
  });

  it('rejects a replaced file even with a recomputed SHA256SUMS (TAMPERED)', async () => {
    const extracted = tempDir('shiplog-verify-x-');
    execFileSync('tar', ['-xzf', built.path], { cwd: extracted });
    writeFileSync(join(extracted, 'host/uptime'), 'replaced\n');
    const sums = execFileSync(
      'sha256sum',
      ['SUMMARY.txt', 'containers/web/web.log', 'host/uptime', 'manifest.json', 'signing-key.pub', 'syslog/messages'],
      { cwd: extracted },
    );
    const path = rewrite('replaced.tgz', (items) =>
      items.map((i) =>
        i.name === 'host/uptime'
          ? { ...i, data: Buffer.from('replaced\n') }
          : i.name === 'SHA256SUMS'
            ? { ...i, data: sums }
            : i,
      ),
    );
    await expect(verifyBundle(path)).rejects.toThrow(code('TAMPERED'));
  });

  it('rejects an edited manifest.json (BAD_SIGNATURE)', async () => {
    const path = rewrite('edited.tgz', (items) =>
      items.map((i) =>
        i.name === 'manifest.json'
          ? { ...i, data: Buffer.from(i.data.toString().replace('bank-host-01', 'bank-host-02')) }
          : i,
      ),
    );
    await expect(verifyBundle(path)).rejects.toThrow(code('BAD_SIGNATURE'));
  });

  it('rejects a bundle without its signature (UNSIGNED)', async () => {
    const path = rewrite('unsigned.tgz', (items) => items.filter((i) => i.name !== 'manifest.json.sig'));
    await expect(verifyBundle(path)).rejects.toThrow(code('UNSIGNED'));
  });

  it('rejects a bundle without manifest.json (MANIFEST_INVALID)', async () => {
    const path = rewrite('nomanifest.tgz', (items) => items.filter((i) => i.name !== 'manifest.json'));
    await expect(verifyBundle(path)).rejects.toThrow(code('MANIFEST_INVALID'));
  });

  it('rejects an extra file not in the manifest (TAMPERED)', async () => {
    const path = rewrite('extra.tgz', (items) => [...items, { name: 'host/extra', data: Buffer.from('x') }]);
    await expect(verifyBundle(path)).rejects.toThrow(code('TAMPERED'));
  });

  it.each([
    ['../evil', { name: '../evil', data: Buffer.from('x') }],
    ['an absolute path', { name: '/etc/cron.d/evil', data: Buffer.from('x') }],
    ['a symlink', { name: 'host/link', data: Buffer.alloc(0), type: '2', linkname: '/etc/shadow' }],
    ['a hard link', { name: 'host/hard', data: Buffer.alloc(0), type: '1', linkname: 'manifest.json' }],
    ['a device', { name: 'host/dev', data: Buffer.alloc(0), type: '3' }],
    ['a duplicate name', { name: 'SUMMARY.txt', data: Buffer.from('second copy') }],
  ] as const)('rejects %s (UNSAFE_ENTRY)', async (label, item) => {
    const path = rewrite(`unsafe-${label.replace(/\W/g, '')}.tgz`, (items) => [...items, { ...item }]);
    await expect(verifyBundle(path)).rejects.toThrow(code('UNSAFE_ENTRY'));
  });

  it('rejects an entry with an absurd size (LIMIT)', async () => {
    const tar = makeTar([{ name: 'manifest.json', data: Buffer.from('{}') }]);
    tar.write('77777777777\0', 124); // 8 GiB, past the limit below
    let sum = 0;
    tar.write('        ', 148);
    for (const byte of tar.subarray(0, 512)) sum += byte;
    tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const path = write('huge.tgz', gzipSync(tar));
    await expect(
      verifyBundle(path, { limits: { maxEntries: 10, maxEntrySize: 1024 ** 3, maxTotalSize: 1024 ** 3 } }),
    ).rejects.toThrow(code('LIMIT'));
  });

  it.each([10, 100, 0.25, 0.5, 0.9, -9, -1])('rejects the archive truncated at %s (TRUNCATED)', async (at) => {
    const cut = at < 0 ? original.length + at : at < 1 ? Math.floor(original.length * at) : at;
    const path = write(`cut-${cut}.tgz`, original.subarray(0, cut));
    await expect(verifyBundle(path)).rejects.toThrow(code('TRUNCATED'));
  });

  it('rejects a tar cut at an entry boundary even when the compression is complete (TRUNCATED)', async () => {
    const path = rewrite('no-end.tgz', (items) => items);
    const tar = makeTar([{ name: 'manifest.json', data: Buffer.from('{}') }]);
    writeFileSync(path, gzipSync(tar.subarray(0, tar.length - 1024)));
    await expect(verifyBundle(path)).rejects.toThrow(code('TRUNCATED'));
  });

  it('rejects a flipped byte in the compressed stream (TAMPERED)', async () => {
    const flipped = Buffer.from(original);
    flipped[Math.floor(flipped.length / 2)] = (flipped[Math.floor(flipped.length / 2)] ?? 0) ^ 0x40;
    await expect(verifyBundle(write('flip-gz.tgz', flipped))).rejects.toThrow(
      expect.objectContaining({
        code: expect.stringMatching(/^SHIPLOG_ERR_BUNDLE_(TAMPERED|UNSAFE_ENTRY|TRUNCATED)$/),
      }),
    );
  });

  it('rejects a file that is not a bundle, and a missing file', async () => {
    await expect(verifyBundle(write('text.txt', Buffer.from('hello world')))).rejects.toThrow(code('NOT_A_BUNDLE'));
    await expect(verifyBundle(join(dir, 'absent.tgz'))).rejects.toThrow(code('UNREADABLE'));
  });
});

describe('verifyBundle on encrypted and zstd bundles', () => {
  it('decrypts with --identity, and says plainly when it is missing or wrong', async () => {
    const d = tempDir('shiplog-verify-age-');
    const identity = join(d, 'vendor.key');
    execFileSync('age-keygen', ['-o', identity], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', identity]).toString().trim();
    const enc = await buildBundle(d, { name: 'b.age', compression: 'zstd', recipient });
    const result = await verifyBundle(enc.path, { identities: [readFileSync(identity, 'utf8')] });
    expect(result).toMatchObject({ encrypted: true, compression: 'zstd' });
    await expect(verifyBundle(enc.path)).rejects.toThrow(code('DECRYPT'));
    const other = join(d, 'other.key');
    execFileSync('age-keygen', ['-o', other], { stdio: 'ignore' });
    await expect(verifyBundle(enc.path, { identities: [readFileSync(other, 'utf8')] })).rejects.toThrow(
      code('DECRYPT'),
    );
    const bytes = readFileSync(enc.path);
    const cut = join(d, 'cut.age');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    await expect(verifyBundle(cut, { identities: [readFileSync(identity, 'utf8')] })).rejects.toThrow(
      expect.objectContaining({ code: expect.stringMatching(/^SHIPLOG_ERR_BUNDLE_(TAMPERED|TRUNCATED)$/) }),
    );
  });

  it.each([-1, -5, 0.5])('rejects a zstd bundle truncated at %s (TRUNCATED)', async (at) => {
    const d = tempDir('shiplog-verify-zst-');
    const z = await buildBundle(d, { name: 'b.tar.zst', compression: 'zstd' });
    const bytes = readFileSync(z.path);
    const cut = at < 0 ? bytes.length + at : Math.floor(bytes.length * at);
    const path = join(d, 'cut.zst');
    writeFileSync(path, bytes.subarray(0, cut));
    await expect(verifyBundle(path)).rejects.toThrow(code('TRUNCATED'));
  });

  it.each([
    ['gzip', [0x1f, 0x8b, 0x08]],
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ] as const)(
    'rejects a %s bundle of several blocks cut exactly between two of them (TRUNCATED)',
    async (compression, magic) => {
      const d = tempDir('shiplog-verify-blocks-');
      // Incompressible, so the archive spans several 4-8 MiB blocks.
      const big = await buildBundle(d, { compression, extra: { 'syslog/big': randomBytes(20 * 1024 * 1024) } });
      await expect(verifyBundle(big.path)).resolves.toMatchObject({ compression });
      const bytes = readFileSync(big.path);
      const starts: number[] = [];
      for (let at = bytes.indexOf(Buffer.from(magic), 1); at > 0; at = bytes.indexOf(Buffer.from(magic), at + 1)) {
        starts.push(at);
      }
      expect(starts.length).toBeGreaterThanOrEqual(2);
      for (const at of starts) {
        const path = join(d, `cut-${at}`);
        writeFileSync(path, bytes.subarray(0, at));
        await expect(verifyBundle(path)).rejects.toThrow(
          expect.objectContaining({ code: expect.stringMatching(/^SHIPLOG_ERR_BUNDLE_(TRUNCATED|TAMPERED)$/) }),
        );
      }
    },
  );
});
