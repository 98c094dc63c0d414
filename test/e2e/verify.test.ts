// `shiplog verify` and `shiplog keys` as a user runs them: separate processes,
// exit codes and the words printed.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SigningKey } from '../../agent/bundle/seal/signing-key.ts';
import { formatSha256Sums } from '../../bundle/checksums.ts';
import type { BundleManifest } from '../../schemas/bundle-manifest.ts';
import { shiplog } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';
import { type Built, buildBundle, readTarItems, rewriteBundle } from '../unit/agent/bundle/seal/make-bundle.ts';

describe('shiplog keys', () => {
  it('creates the host key on first use and prints its fingerprint and allowed_signers line', async () => {
    const dataDir = tempDir('shiplog-e2e-keys-');
    const env = { SHIPLOG_DATA_DIR: dataDir };
    const first = await shiplog(['keys'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/fingerprint {2}SHA256:[A-Za-z0-9+/]{43}\n/);
    expect(first.stdout).toMatch(/shiplog namespaces="shiplog-bundle" ssh-ed25519 AAAA\S+\n/);
    const json = await shiplog(['keys', '--json'], { env });
    const keys = JSON.parse(json.stdout);
    expect(keys).toMatchObject({ created: false, path: join(dataDir, 'keys', 'bundle-signing') });
    expect(first.stdout).toContain(keys.fingerprint);
    expect(readFileSync(join(dataDir, 'keys', 'bundle-signing.pub'), 'utf8')).toBe(`${keys.public_key}\n`);
  });
});

describe('shiplog verify', () => {
  it('exits 0 for an intact bundle and 1 with a stable code for a damaged one', async () => {
    const dir = tempDir('shiplog-e2e-verify-');
    const { path, key } = await buildBundle(dir);
    const ok = await shiplog(['verify', path]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK {2}/);
    expect(ok.stdout).toContain('NOT checked against a trusted key');

    const signer = join(dir, 'allowed_signers');
    writeFileSync(signer, `${key.allowedSigners}\n`);
    const trusted = await shiplog(['verify', path, '--signer', signer, '--json']);
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.stdout)).toMatchObject({
      ok: true,
      signer: { fingerprint: key.fingerprint, trusted: true },
    });

    const other = await buildBundle(tempDir('shiplog-e2e-other-'));
    const wrong = await shiplog(['verify', other.path, '--signer', signer]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('[SHIPLOG_ERR_BUNDLE_WRONG_SIGNER]');

    const bytes = readFileSync(path);
    const cut = join(dir, 'cut.tar.gz');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const truncated = await shiplog(['verify', cut, '--json']);
    expect(truncated.code).toBe(1);
    expect(JSON.parse(truncated.stdout)).toMatchObject({ ok: false, code: 'SHIPLOG_ERR_BUNDLE_TRUNCATED' });
  });

  it('asks for --identity on an encrypted bundle and refuses bad usage', async () => {
    const dir = tempDir('shiplog-e2e-verify-');
    const { path } = await buildBundle(dir, {
      name: 'b.age',
      recipient: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    });
    const encrypted = await shiplog(['verify', path]);
    expect(encrypted.code).toBe(1);
    expect(encrypted.stdout).toContain('--identity');
    expect(encrypted.stdout).toContain('[SHIPLOG_ERR_BUNDLE_DECRYPT]');
    const usage = await shiplog(['verify']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('SHIPLOG_ERR_USAGE');
  });
});

describe('shiplog verify --signer', () => {
  let dir: string;
  let built: Built;
  let other: Built;

  beforeAll(async () => {
    dir = tempDir('shiplog-e2e-signer-');
    built = await buildBundle(dir);
    other = await buildBundle(tempDir('shiplog-e2e-signer-other-'));
  });

  it('takes a SHA256: fingerprint as the trusted key (issue #10 item 6: it was read as a path)', async () => {
    const ok = await shiplog(['verify', built.path, '--signer', built.key.fingerprint]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`signed by ${built.key.fingerprint}, a trusted key`);

    const wrong = await shiplog(['verify', other.path, '--signer', built.key.fingerprint]);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/^NOT OK {2}/);
    expect(wrong.stdout).toContain(`signed by key ${other.key.fingerprint}, which is not ${built.key.fingerprint}`);
    expect(wrong.stdout).toContain('[SHIPLOG_ERR_BUNDLE_WRONG_SIGNER]');
  });

  it('refuses a string that only looks like a fingerprint, before reading the bundle', async () => {
    const result = await shiplog(['verify', built.path, '--signer', 'SHA256:not-a-fingerprint']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('looks like a fingerprint but is not one');
    expect(result.stderr).toContain('[SHIPLOG_ERR_BUNDLE_SIGNER_INVALID]');
  });

  it('refuses a key whose allowed_signers line has expired, as ssh-keygen -Y verify does (issue #10 item 5)', async () => {
    const keyring = join(dir, 'expired_signers');
    writeFileSync(keyring, `shiplog namespaces="shiplog-bundle",valid-before="20200101Z" ${built.key.publicKeyLine}\n`);
    const result = await shiplog(['verify', built.path, '--signer', keyring]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `signed by key ${built.key.fingerprint}, which expired on 2020-01-01T00:00:00Z (valid-before on line 1 of ${keyring})`,
    );
    expect(result.stdout).toContain('[SHIPLOG_ERR_BUNDLE_WRONG_SIGNER]');
    const json = await shiplog(['verify', built.path, '--signer', keyring, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: 'SHIPLOG_ERR_BUNDLE_WRONG_SIGNER' });

    // The same keyring, the same bundle, checked by ssh-keygen alone.
    const items = readTarItems(gunzipSync(readFileSync(built.path)));
    const seal = (name: string) => items.find((item) => item.name === name)?.data ?? Buffer.alloc(0);
    writeFileSync(join(dir, 'manifest.json.sig'), seal('manifest.json.sig'));
    const sshKeygen = spawnSync(
      'ssh-keygen',
      ['-Y', 'verify', '-f', keyring, '-I', 'shiplog', '-n', 'shiplog-bundle', '-s', join(dir, 'manifest.json.sig')],
      { input: seal('manifest.json') },
    );
    expect(sshKeygen.status).not.toBe(0);
    expect(sshKeygen.stderr.toString()).toContain('key has expired');
  });

  it('refuses a key that is not valid yet, and a keyring that trusts the key only as a CA', async () => {
    const future = join(dir, 'future_signers');
    writeFileSync(future, `shiplog valid-after="20990101Z" ${built.key.publicKeyLine}\n`);
    const early = await shiplog(['verify', built.path, '--signer', future]);
    expect(early.code).toBe(1);
    expect(early.stdout).toContain('which is not valid until 2099-01-01T00:00:00Z');

    const ca = join(dir, 'ca_signers');
    writeFileSync(ca, `*@example.com,shiplog cert-authority ${built.key.publicKeyLine}\n`);
    const caOnly = await shiplog(['verify', built.path, '--signer', ca]);
    expect(caOnly.code).toBe(1);
    expect(caOnly.stderr).toContain('cert-authority trusts certificates that key signs, not the key itself');
    expect(caOnly.stderr).toContain('[SHIPLOG_ERR_BUNDLE_SIGNER_INVALID]');
  });
});

// Issue #10 item 7: everything a bundle controls is escaped before it reaches a terminal.
describe('shiplog verify prints nothing a bundle controls raw', () => {
  /** What a terminal acts on: C0 but tab and newline, DEL, C1, bidi controls, line separators. */
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const actsOnTerminal = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;

  let dir: string;
  let trusted: Built;
  let attacker: Built;
  let trustedKeyring: string;

  beforeAll(async () => {
    dir = tempDir('shiplog-e2e-hostile-');
    trusted = await buildBundle(dir, { dataDir: join(dir, 'trusted') });
    attacker = await buildBundle(dir, { name: 'attacker.tar.gz', dataDir: join(dir, 'attacker') });
    trustedKeyring = join(dir, 'allowed_signers');
    writeFileSync(trustedKeyring, `${trusted.key.allowedSigners}\n`);
  });

  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  /**
   * The attacker's bundle with its seal made again by the attacker's own key:
   * `edit` changes the manifest, `pub` replaces signing-key.pub; the manifest
   * lists the new signing-key.pub and SHA256SUMS lists what the manifest
   * listed before `edit`, so everything holds together but what `edit` adds.
   */
  function resigned(name: string, key: SigningKey, edit: (manifest: BundleManifest) => void, pub?: string): string {
    const bytes = rewriteBundle(readFileSync(attacker.path), (items) => {
      const entry = (wanted: string) => items.find((item) => item.name === wanted)?.data ?? Buffer.alloc(0);
      const manifest = JSON.parse(entry('manifest.json').toString('utf8')) as BundleManifest;
      const pubBytes = pub === undefined ? entry('signing-key.pub') : Buffer.from(pub);
      manifest.files = manifest.files.map((file) =>
        file.path === 'signing-key.pub' ? { ...file, size: pubBytes.length, sha256: sha256(pubBytes) } : file,
      );
      const listed = [...manifest.files];
      edit(manifest);
      const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
      const replaced: Record<string, Buffer> = {
        'manifest.json': manifestBytes,
        'manifest.json.sig': Buffer.from(key.sign(manifestBytes, 'shiplog-bundle')),
        SHA256SUMS: Buffer.from(
          formatSha256Sums([...listed, { path: 'manifest.json', sha256: sha256(manifestBytes) }]),
        ),
        'signing-key.pub': pubBytes,
      };
      return items.map((item) => ({ ...item, data: replaced[item.name] ?? item.data }));
    });
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  }

  const fakeVerdict = (fingerprint: string) => `\nOK  signed by ${fingerprint}, a trusted key\n`;

  function expectSafe(output: { stdout: string; stderr: string }, verdict: 'OK' | 'NOT OK' | 'json'): void {
    for (const text of [output.stdout, output.stderr]) expect(text).not.toMatch(actsOnTerminal);
    const verdicts = output.stdout.split('\n').filter((line) => /^\s*(OK|NOT OK)\b/.test(line));
    if (verdict === 'json') expect(verdicts).toEqual([]);
    else {
      expect(verdicts).toHaveLength(1);
      expect(output.stdout.startsWith(`${verdict}  `)).toBe(true);
    }
  }

  it('escapes ESC, CR, newlines, C1 and bidi controls in the manifest of a bundle signed by its own key', async () => {
    const host = `bank\x1b[2J\x1b[H\x1b]0;title\x07${fakeVerdict(trusted.key.fingerprint)}`;
    const version = '0.1.0\r\x1b[1A\rNOT OK  \u009b2J\u009d0;t\u009c';
    const createdAt = '2024-03-14T10:00:00Z\u202e)tnemevom( \u2066x\u2069\u200f';
    const window = { since: '\u0000\u007f\u0085', until: `\u2028OK  \u2029${fakeVerdict(trusted.key.fingerprint)}` };
    const pub = `${attacker.key.publicKeyLine.split(' ').slice(0, 2).join(' ')} \x1b[2J\u202eevil\n# \x1b[31m\nOK  fine\n`;
    const path = resigned(
      'hostile-manifest.tar.gz',
      attacker.key,
      (manifest) => {
        manifest.host.name = host;
        manifest.tool.version = version;
        manifest.created_at = createdAt;
        manifest.window = window;
      },
      pub,
    );

    const plain = await shiplog(['verify', path]);
    expect(plain.code).toBe(0);
    expectSafe(plain, 'OK');
    expect(plain.stdout).toContain('bank\\x1b[2J\\x1b[H\\x1b]0;title\\x07\\x0aOK  signed by');
    expect(plain.stdout).toContain('0.1.0\\x0d\\x1b[1A\\x0dNOT OK  \\x9b2J');
    expect(plain.stdout).toContain('\\u202e)tnemevom( \\u2066x\\u2069');
    expect(plain.stdout).toContain('NOT checked against a trusted key');

    const json = await shiplog(['verify', path, '--json']);
    expect(json.code).toBe(0);
    expectSafe(json, 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      host,
      created_at: createdAt,
      window,
      signer: { fingerprint: attacker.key.fingerprint, publicKey: pub.trim(), trusted: false },
    });

    // Checked against the trusted key, the attacker's bundle is refused, and says so safely.
    for (const args of [[], ['--json']]) {
      const refused = await shiplog(['verify', path, '--signer', trustedKeyring, ...args]);
      expect(refused.code).toBe(1);
      expectSafe(refused, args.length ? 'json' : 'NOT OK');
      expect(refused.stdout).toContain('SHIPLOG_ERR_BUNDLE_WRONG_SIGNER');
    }
  });

  it('escapes a file name the manifest lists', async () => {
    const evil = `logs/\x1b[2J\rOK  \u009b\u202e.log${fakeVerdict(trusted.key.fingerprint)}`;
    const path = resigned('hostile-listing.tar.gz', attacker.key, (manifest) => {
      manifest.files.push({ path: evil, size: 1, sha256: '0'.repeat(64) });
    });
    for (const args of [[], ['--json']]) {
      const result = await shiplog(['verify', path, ...args]);
      expect(result.code).toBe(1);
      expectSafe(result, args.length ? 'json' : 'NOT OK');
      // A name no bundle can hold is refused as such, before SHA256SUMS is read.
      expect(result.stdout).toContain('SHIPLOG_ERR_BUNDLE_UNSAFE_ENTRY');
    }
    const json = await shiplog(['verify', path, '--json']);
    expect(JSON.parse(json.stdout).message).toContain('logs/\\x1b[2J\\x0dOK  \\x9b\\u202e.log');
  });

  it('escapes a tar entry name the reader refuses', async () => {
    const evil = '\x1b[2J\x1b]0;pwned\x07\rOK  \u009b.log\nOK  a trusted key';
    const path = join(dir, 'hostile-entry.tar.gz');
    writeFileSync(
      path,
      rewriteBundle(readFileSync(trusted.path), (items) => [{ name: evil, data: Buffer.from('x\n') }, ...items]),
    );
    for (const args of [[], ['--json']]) {
      const result = await shiplog(['verify', path, ...args]);
      expect(result.code).toBe(1);
      expectSafe(result, args.length ? 'json' : 'NOT OK');
      expect(result.stdout).toContain('SHIPLOG_ERR_BUNDLE_UNSAFE_ENTRY');
    }
    const plain = await shiplog(['verify', path]);
    expect(plain.stdout).toContain('\\x1b[2J\\x1b]0;pwned\\x07\\x0dOK  \\x9b.log\\x0aOK  a trusted key');
  });
});
