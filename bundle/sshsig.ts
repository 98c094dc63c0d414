// SSH signatures (OpenSSH PROTOCOL.sshsig) made and checked with node:crypto,
// so that signing needs no ssh-keygen on the customer's host while the vendor
// can still check a bundle with `ssh-keygen -Y verify`.
import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { keyType, publicKeyBlob, publicKeyFromRaw, rawFromBlob } from './ssh-public-key.ts';
import { SshReader, sshString, sshUint32 } from './ssh-wire.ts';

const magic = Buffer.from('SSHSIG');
const version = 1;
const armorBegin = '-----BEGIN SSH SIGNATURE-----';
const armorEnd = '-----END SSH SIGNATURE-----';
/** ssh-keygen wraps the armored base64 at 70 columns. */
const armorWidth = 70;

export type SshsigHash = 'sha256' | 'sha512';

export interface Sshsig {
  /** Raw 32-byte Ed25519 key of the signer, as carried in the signature. */
  readonly publicKey: Buffer;
  readonly namespace: string;
  readonly hashAlgorithm: SshsigHash;
  /** The 64-byte Ed25519 signature over the SSHSIG signed-data structure. */
  readonly signature: Buffer;
}

/** What is actually signed: the preamble, namespace, reserved, hash name and the message's digest. */
function signedData(namespace: string, hashAlgorithm: SshsigHash, message: Buffer): Buffer {
  const digest = createHash(hashAlgorithm).update(message).digest();
  return Buffer.concat([magic, sshString(namespace), sshString(''), sshString(hashAlgorithm), sshString(digest)]);
}

/** Signs `message` and returns the armored signature ssh-keygen writes to FILE.sig. */
export function signSshsig(message: Buffer, privateKey: KeyObject, publicRaw: Buffer, namespace: string): string {
  const hashAlgorithm: SshsigHash = 'sha512';
  const signature = sign(null, signedData(namespace, hashAlgorithm, message), privateKey);
  return armor({ publicKey: publicRaw, namespace, hashAlgorithm, signature });
}

export function encodeSshsig(sig: Sshsig): Buffer {
  return Buffer.concat([
    magic,
    sshUint32(version),
    sshString(publicKeyBlob(sig.publicKey)),
    sshString(sig.namespace),
    sshString(''),
    sshString(sig.hashAlgorithm),
    sshString(Buffer.concat([sshString(keyType), sshString(sig.signature)])),
  ]);
}

export function armor(sig: Sshsig): string {
  const base64 = encodeSshsig(sig).toString('base64');
  const lines = base64.match(new RegExp(`.{1,${armorWidth}}`, 'g')) ?? [];
  return `${armorBegin}\n${lines.join('\n')}\n${armorEnd}\n`;
}

/** Parses an armored SSH signature; throws with a plain reason when it is not one shiplog can check. */
export function parseSshsig(text: string): Sshsig {
  const trimmed = text.trim();
  if (!trimmed.startsWith(armorBegin) || !trimmed.endsWith(armorEnd)) throw new Error('not an armored SSH signature');
  const body = trimmed.slice(armorBegin.length, -armorEnd.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error('the signature is not valid base64');
  const reader = new SshReader(Buffer.from(body, 'base64'));
  if (!reader.bytes(magic.length).equals(magic)) throw new Error('missing the SSHSIG preamble');
  const sigVersion = reader.uint32();
  if (sigVersion !== version) throw new Error(`SSHSIG version ${sigVersion} is not supported`);
  const publicKey = rawFromBlob(reader.string());
  const namespace = reader.text();
  reader.string(); // reserved
  const hashAlgorithm = reader.text();
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') throw new Error(`hash ${hashAlgorithm} is not allowed`);
  const inner = new SshReader(reader.string());
  const sigType = inner.text();
  const signature = inner.string();
  if (sigType !== keyType || signature.length !== 64 || !inner.done || !reader.done) {
    throw new Error('malformed ssh-ed25519 signature');
  }
  return { publicKey, namespace, hashAlgorithm, signature };
}

/** True when `sig` is a valid signature of `message` in `namespace` by the key it names. */
export function verifySshsig(sig: Sshsig, message: Buffer, namespace: string): boolean {
  if (sig.namespace !== namespace) return false;
  return verify(
    null,
    signedData(namespace, sig.hashAlgorithm, message),
    publicKeyFromRaw(sig.publicKey),
    sig.signature,
  );
}
