// Ed25519 public keys in the forms OpenSSH users see: the one-line
// `ssh-ed25519 AAAA... comment` format, the `SHA256:` fingerprint that
// `ssh-keygen -l` prints, and allowed_signers lines for `ssh-keygen -Y verify`.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { SshReader, sshString } from './ssh-wire.ts';

export const keyType = 'ssh-ed25519';
/** The SSHSIG namespace of bundle signatures; a key trusted for it signs nothing else. */
export const signatureNamespace = 'shiplog-bundle';
/** The principal name the vendor's allowed_signers line uses (`ssh-keygen -Y verify -I shiplog`). */
export const signerPrincipal = 'shiplog';

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error(`an Ed25519 public key has 32 bytes, not ${raw.length}`);
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** The key in SSH wire format: string "ssh-ed25519", string key. */
export function publicKeyBlob(raw: Uint8Array): Buffer {
  return Buffer.concat([sshString(keyType), sshString(raw)]);
}

/** Decodes a wire-format public key blob; only Ed25519 is accepted. */
export function rawFromBlob(blob: Buffer): Buffer {
  const reader = new SshReader(blob);
  const type = reader.text();
  if (type !== keyType) throw new Error(`key type ${type} is not ${keyType}`);
  const raw = reader.string();
  if (raw.length !== 32 || !reader.done) throw new Error('malformed ssh-ed25519 key');
  return raw;
}

/** `SHA256:` + unpadded base64 of the blob's SHA-256, exactly as ssh-keygen prints it. */
export function fingerprint(raw: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob(raw)).digest('base64').replace(/=+$/, '')}`;
}

export function formatPublicKey(raw: Uint8Array, comment: string): string {
  return `${keyType} ${publicKeyBlob(raw).toString('base64')}${comment ? ` ${comment}` : ''}`;
}

export function allowedSignersLine(raw: Uint8Array): string {
  return `${signerPrincipal} namespaces="${signatureNamespace}" ${formatPublicKey(raw, '')}`;
}

/**
 * Every Ed25519 key in a public key file or an allowed_signers file. A line
 * whose namespaces= option excludes bundle signatures is skipped, as
 * ssh-keygen would; other key types are ignored.
 */
export function parseTrustedKeys(text: string): Buffer[] {
  const keys: Buffer[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const tokens = line.split(/\s+/);
    const at = tokens.indexOf(keyType);
    const encoded = at >= 0 ? tokens[at + 1] : undefined;
    if (encoded === undefined) continue;
    const namespaces = /(?:^|[\s,])namespaces="([^"]*)"/.exec(tokens.slice(0, at).join(' '))?.[1];
    if (namespaces !== undefined && !namespaces.split(',').includes(signatureNamespace)) continue;
    keys.push(rawFromBlob(Buffer.from(encoded, 'base64')));
  }
  return keys;
}

/** Reads the one key of an OpenSSH public key line (`ssh-ed25519 AAAA... comment`). */
export function parsePublicKeyLine(text: string): Buffer {
  const keys = parseTrustedKeys(text);
  if (keys.length !== 1 || keys[0] === undefined) throw new Error('expected exactly one ssh-ed25519 public key');
  return keys[0];
}
