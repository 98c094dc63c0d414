// `shiplog verify`: reads a bundle once, as a stream, and checks everything
// the seal promises. Only manifest.json, its signature, SHA256SUMS and
// signing-key.pub are held in memory (size-capped); every other file is
// hashed as it streams past. The first problem found is thrown as a
// CodedError whose code says what kind of problem it is.
import { CodedError } from '../../../core/coded-error.ts';
import type { BundleManifest } from '../../../schemas/bundle-manifest.ts';
import { agentErrors } from '../../errors.ts';
import { type Digest, Hasher, parseSha256Sums } from '../seal/checksums.ts';
import { manifestValidator } from '../seal/seal.ts';
import { fingerprint, parsePublicKeyLine, signatureNamespace } from '../seal/ssh-public-key.ts';
import { parseSshsig, type Sshsig, verifySshsig } from '../seal/sshsig.ts';
import { openBundle } from './open.ts';
import { defaultTarLimits, readTar, type TarLimits, TarProblem } from './tar-reader.ts';
import type { TrustedSigners } from './trust.ts';

export interface VerifyOptions {
  /** Texts of age identity files, for encrypted bundles. */
  readonly identities?: readonly string[];
  /** When given, the signer must be one of these keys (else BUNDLE_WRONG_SIGNER). */
  readonly trusted?: TrustedSigners;
  readonly limits?: TarLimits;
}

export interface VerifiedBundle {
  readonly path: string;
  readonly encrypted: boolean;
  readonly compression: 'gzip' | 'zstd';
  readonly manifest: BundleManifest;
  /** The signer's fingerprint, and whether it was checked against --signer. */
  readonly signer: { readonly fingerprint: string; readonly publicKey: string; readonly trusted: boolean };
  /** Files listed in the manifest, and their total uncompressed size. */
  readonly files: number;
  readonly bytes: number;
}

/** Files the sealer writes whose bytes verify keeps; the caps bound memory on hostile input. */
const heldFiles: Record<string, number> = {
  'manifest.json': 16 * 1024 * 1024,
  'manifest.json.sig': 16 * 1024,
  SHA256SUMS: 16 * 1024 * 1024,
  'signing-key.pub': 16 * 1024,
};

export async function verifyBundle(path: string, options: VerifyOptions = {}): Promise<VerifiedBundle> {
  const opened = await openBundle(path, options.identities);
  const digests = new Map<string, Digest>();
  const held = new Map<string, Buffer>();
  try {
    await readTar(
      opened.tar,
      (name, size) => {
        const cap = heldFiles[name];
        if (cap !== undefined && size > cap) throw new TarProblem('unsafe', name, `larger than a ${name} can be`);
        const hasher = new Hasher();
        const parts: Buffer[] = [];
        return {
          data(chunk) {
            hasher.update(chunk);
            if (cap !== undefined) parts.push(Buffer.from(chunk));
          },
          end() {
            digests.set(name, hasher.digest());
            if (cap !== undefined) held.set(name, Buffer.concat(parts));
          },
        };
      },
      options.limits ?? defaultTarLimits,
    );
  } catch (error) {
    if (!(error instanceof TarProblem)) throw error;
    if (error.kind === 'truncated') throw new CodedError(agentErrors.BUNDLE_TRUNCATED, { path, detail: error.message });
    if (error.kind === 'unsafe') {
      throw new CodedError(agentErrors.BUNDLE_UNSAFE_ENTRY, { path, entry: error.entry, detail: error.message });
    }
    throw new CodedError(agentErrors.BUNDLE_TAMPERED, { path, detail: error.message });
  }

  const manifestBytes = held.get('manifest.json');
  const manifest = parseManifest(path, manifestBytes);
  const signer = checkSignature(path, manifest, manifestBytes as Buffer, held, options.trusted);
  const bytes = checkFiles(path, manifest, digests);
  checkSums(path, manifest, digests, held.get('SHA256SUMS'));
  return {
    path,
    encrypted: opened.encrypted,
    compression: opened.compression,
    manifest,
    signer,
    files: manifest.files.length,
    bytes,
  };
}

function parseManifest(path: string, bytes: Buffer | undefined): BundleManifest {
  const fail = (detail: string) => new CodedError(agentErrors.BUNDLE_MANIFEST_INVALID, { path, detail });
  if (!bytes) throw fail('manifest.json is not in the archive');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw fail(`manifest.json is not JSON (${(error as Error).message})`);
  }
  const validator = manifestValidator();
  if (!validator.check(value)) {
    throw fail(validator.problems.map((p) => `${p.path || '(root)'} ${p.message}`).join('; '));
  }
  const paths = new Set<string>();
  for (const file of value.files) {
    if (paths.has(file.path)) throw fail(`${file.path} is listed twice`);
    paths.add(file.path);
  }
  return value;
}

function checkSignature(
  path: string,
  manifest: BundleManifest,
  manifestBytes: Buffer,
  held: ReadonlyMap<string, Buffer>,
  trusted: TrustedSigners | undefined,
): VerifiedBundle['signer'] {
  const sigText = held.get('manifest.json.sig');
  if (!sigText) throw new CodedError(agentErrors.BUNDLE_UNSIGNED, { path, detail: 'manifest.json.sig is missing' });
  const pubText = held.get('signing-key.pub');
  if (!pubText) throw new CodedError(agentErrors.BUNDLE_UNSIGNED, { path, detail: 'signing-key.pub is missing' });
  const bad = (detail: string) => new CodedError(agentErrors.BUNDLE_BAD_SIGNATURE, { path, detail });
  let sig: Sshsig;
  let embedded: Buffer;
  try {
    sig = parseSshsig(sigText.toString('utf8'));
  } catch (error) {
    throw bad(`manifest.json.sig is not a usable SSH signature: ${(error as Error).message}`);
  }
  try {
    embedded = parsePublicKeyLine(pubText.toString('utf8'));
  } catch (error) {
    throw bad(`signing-key.pub is not an OpenSSH Ed25519 key: ${(error as Error).message}`);
  }
  if (sig.namespace !== signatureNamespace)
    throw bad(`it was made for "${sig.namespace}", not "${signatureNamespace}"`);
  if (!verifySshsig(sig, manifestBytes, signatureNamespace)) throw bad('manifest.json was changed after signing');
  const signedBy = fingerprint(sig.publicKey);
  if (!sig.publicKey.equals(embedded)) throw bad(`it was made by ${signedBy}, not by the key in signing-key.pub`);
  if (manifest.signing_key.fingerprint !== signedBy) {
    throw bad(`the manifest names key ${manifest.signing_key.fingerprint}, but ${signedBy} signed it`);
  }
  if (trusted && !trusted.fingerprints.has(signedBy)) {
    throw new CodedError(agentErrors.BUNDLE_WRONG_SIGNER, { path, fingerprint: signedBy, signer: trusted.label });
  }
  const publicKey = pubText.toString('utf8').trim();
  return { fingerprint: signedBy, publicKey, trusted: trusted !== undefined };
}

const sealFiles = new Set(['manifest.json', 'manifest.json.sig', 'SHA256SUMS']);

function checkFiles(path: string, manifest: BundleManifest, digests: ReadonlyMap<string, Digest>): number {
  const tampered = (detail: string) => new CodedError(agentErrors.BUNDLE_TAMPERED, { path, detail });
  let bytes = 0;
  const listed = new Set<string>();
  for (const file of manifest.files) {
    listed.add(file.path);
    const actual = digests.get(file.path);
    if (!actual) throw tampered(`${file.path} is listed in the manifest but missing`);
    if (actual.size !== file.size)
      throw tampered(`${file.path} has ${actual.size} bytes, the manifest says ${file.size}`);
    if (actual.sha256 !== file.sha256) throw tampered(`the content of ${file.path} differs from what was signed`);
    bytes += actual.size;
  }
  for (const name of digests.keys()) {
    if (!listed.has(name) && !sealFiles.has(name)) throw tampered(`${name} is not listed in the manifest`);
  }
  return bytes;
}

function checkSums(
  path: string,
  manifest: BundleManifest,
  digests: ReadonlyMap<string, Digest>,
  sumsBytes: Buffer | undefined,
): void {
  const tampered = (detail: string) => new CodedError(agentErrors.BUNDLE_TAMPERED, { path, detail });
  if (!sumsBytes) throw tampered('SHA256SUMS is missing');
  let sums: Map<string, string>;
  try {
    sums = parseSha256Sums(sumsBytes.toString('utf8'));
  } catch (error) {
    throw tampered(`SHA256SUMS is malformed: ${(error as Error).message}`);
  }
  const expected = new Map(manifest.files.map((file) => [file.path, file.sha256]));
  const manifestDigest = digests.get('manifest.json');
  if (manifestDigest) expected.set('manifest.json', manifestDigest.sha256);
  for (const [name, sha256] of expected) {
    if (sums.get(name) !== sha256)
      throw tampered(`SHA256SUMS ${sums.has(name) ? 'disagrees on' : 'does not list'} ${name}`);
  }
  for (const name of sums.keys()) {
    if (!expected.has(name)) throw tampered(`SHA256SUMS lists ${name}, which the manifest does not`);
  }
}
