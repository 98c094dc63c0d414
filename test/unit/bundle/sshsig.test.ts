import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from '../../../agent/bundle/seal/signing-key.ts';
import { fingerprint, parsePublicKeyLine } from '../../../bundle/ssh-public-key.ts';
import { encodeSshsig, parseSshsig, verifySshsig } from '../../../bundle/sshsig.ts';
import { tempDir } from '../../helpers/temp.ts';

const message = Buffer.from('{"format_version":1}\n');

describe('SSHSIG', () => {
  it('makes a signature that ssh-keygen -Y verify accepts', () => {
    const dir = tempDir('shiplog-sshsig-');
    const key = loadOrCreateSigningKey(join(dir, 'data'));
    writeFileSync(join(dir, 'manifest.json'), message);
    writeFileSync(join(dir, 'manifest.json.sig'), key.sign(message, 'shiplog-bundle'));
    writeFileSync(join(dir, 'allowed_signers'), `${key.allowedSigners}\n`);
    const result = spawnSync(
      'ssh-keygen',
      ['-Y', 'verify', '-f', 'allowed_signers', '-I', 'shiplog', '-n', 'shiplog-bundle', '-s', 'manifest.json.sig'],
      { cwd: dir, input: message },
    );
    expect(result.stdout.toString() + result.stderr.toString()).toContain('Good "shiplog-bundle" signature');
    expect(result.status).toBe(0);
    const tampered = spawnSync(
      'ssh-keygen',
      ['-Y', 'verify', '-f', 'allowed_signers', '-I', 'shiplog', '-n', 'shiplog-bundle', '-s', 'manifest.json.sig'],
      { cwd: dir, input: Buffer.from('{"format_version":2}\n') },
    );
    expect(tampered.status).not.toBe(0);
  });

  it('checks signatures made by ssh-keygen -Y sign in-process', () => {
    const dir = tempDir('shiplog-sshsig-');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vendor', '-f', join(dir, 'id')]);
    writeFileSync(join(dir, 'msg'), message);
    execFileSync('ssh-keygen', ['-Y', 'sign', '-f', join(dir, 'id'), '-n', 'shiplog-bundle', join(dir, 'msg')], {
      stdio: 'ignore',
    });
    const sig = parseSshsig(readFileSync(join(dir, 'msg.sig'), 'utf8'));
    expect(sig.namespace).toBe('shiplog-bundle');
    expect(sig.hashAlgorithm).toBe('sha512');
    expect(sig.publicKey).toEqual(parsePublicKeyLine(readFileSync(join(dir, 'id.pub'), 'utf8')));
    expect(verifySshsig(sig, message, 'shiplog-bundle')).toBe(true);
    expect(verifySshsig(sig, Buffer.from('other'), 'shiplog-bundle')).toBe(false);
    expect(verifySshsig(sig, message, 'file')).toBe(false);
  });

  it('round-trips its own encoding and prints fingerprints as ssh-keygen -l does', () => {
    const dir = tempDir('shiplog-sshsig-');
    const key = loadOrCreateSigningKey(dir);
    const sig = parseSshsig(key.sign(message, 'shiplog-bundle'));
    expect(
      parseSshsig(
        `-----BEGIN SSH SIGNATURE-----\n${encodeSshsig(sig).toString('base64')}\n-----END SSH SIGNATURE-----`,
      ),
    ).toEqual(sig);
    expect(fingerprint(sig.publicKey)).toBe(key.fingerprint);
    const listed = execFileSync('ssh-keygen', ['-l', '-f', `${key.path}.pub`]).toString();
    expect(listed).toContain(key.fingerprint);
  });

  it('rejects malformed signatures with a reason', () => {
    expect(() => parseSshsig('hello')).toThrow(/not an armored SSH signature/);
    expect(() => parseSshsig('-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----')).toThrow(
      /truncated/,
    );
  });
});
