// The host's bundle-signing key: Ed25519, created on first use under
// <dataDir>/keys. The private key is kept as PKCS#8 PEM (node:crypto reads and
// writes it natively and it never leaves the host); `bundle-signing.pub`
// beside it is the OpenSSH public line that every bundle carries as
// signing-key.pub.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { allowedSignersLine, fingerprint, formatPublicKey, rawPublicKey } from '../../../bundle/ssh-public-key.ts';
import { signSshsig } from '../../../bundle/sshsig.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';

export interface SigningKey {
  /** Path of the private key file. */
  readonly path: string;
  /** Raw 32-byte public key. */
  readonly publicRaw: Buffer;
  /** `SHA256:...`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** `ssh-ed25519 AAAA... shiplog@host`, the content of signing-key.pub (no newline). */
  readonly publicKeyLine: string;
  /** The line the vendor keeps in allowed_signers for `ssh-keygen -Y verify -I shiplog`. */
  readonly allowedSigners: string;
  /** True when this call created the key. */
  readonly created: boolean;
  /** Armored SSHSIG of `message` in `namespace`. */
  sign(message: Buffer, namespace: string): string;
}

export function signingKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'bundle-signing');
}

/** Loads the host key, creating it (0600, in a 0700 directory) when there is none. */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const path = signingKeyPath(dataDir);
  const fail = (detail: string, cause?: unknown) =>
    new CodedError(agentErrors.BUNDLE_SIGNING_KEY, { path, detail }, { cause });
  let created = false;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fail(errnoText(error), error);
    created = createKeyFile(path, fail);
    pem = readFileSync(path, 'utf8');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (error) {
    throw fail(`not a PEM private key (${(error as Error).message})`, error);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw fail(`a ${privateKey.asymmetricKeyType} key, not Ed25519`);
  const publicRaw = rawPublicKey(createPublicKey(privateKey));
  const publicKeyLine = formatPublicKey(publicRaw, `shiplog@${hostname()}`);
  writePublicCopy(`${path}.pub`, publicKeyLine);
  return {
    path,
    publicRaw,
    fingerprint: fingerprint(publicRaw),
    publicKeyLine,
    allowedSigners: allowedSignersLine(publicRaw),
    created,
    sign: (message, namespace) => signSshsig(message, privateKey, publicRaw, namespace),
  };
}

/**
 * Writes the new key to a temporary name and links it into place, so a crash
 * never leaves half a key and two processes racing on first use end up with
 * one key. Returns false when another process won the race.
 */
function createKeyFile(path: string, fail: (detail: string, cause?: unknown) => Error): boolean {
  const dir = join(path, '..');
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(temp, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temp, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      unlinkSync(temp);
    }
  } catch (error) {
    throw fail(`cannot create it: ${errnoText(error)}`, error);
  }
}

/** The public half is derived data: rewrite it when absent or different, never fail signing over it. */
function writePublicCopy(path: string, line: string): void {
  try {
    if (readFileSync(path, 'utf8') === `${line}\n`) return;
  } catch {
    // absent: written below
  }
  try {
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(temp, `${line}\n`, { mode: 0o644 });
    renameSync(temp, path);
  } catch {
    // a read-only data dir still lets an existing key sign
  }
}

function errnoText(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
