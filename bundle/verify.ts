// Reads a bundle once, as a stream, and checks everything the seal promises,
// trusting nothing before it is proven. The sealer writes manifest.json,
// manifest.json.sig, SHA256SUMS and signing-key.pub first, in that order, so
// the reader holds those four (size-capped), checks the signature over the
// manifest's bytes, then parses and validates the manifest (stopping at the
// first problem) and checks SHA256SUMS against it, all before it reads any
// other entry. From then on each entry must be one the manifest lists, with
// the listed size, checked at its header, before a byte of its body is read;
// each body is hashed as it streams past and can be handed to the caller in
// the same pass (`onEntry`: the collector unpacks while verifying and commits
// only once readBundle resolves). Total work stays bounded: sizes are those
// the signed manifest lists, decompression may not outgrow the file by more
// than `maxRatio`, and zstd frames are counted. The first problem is thrown
// as a BundleProblem whose kind says what is wrong.
import type { BundleFile, BundleManifest } from '../schemas/bundle-manifest.ts';
import { type Digest, Hasher, isPlainBundlePath, parseSha256Sums } from './checksums.ts';
import { maxManifestBytes, parseManifest } from './manifest.ts';
import { openBundle } from './open.ts';
import { printable } from './printable.ts';
import { BundleProblem } from './problems.ts';
import { fingerprint, parsePublicKeyLine, signatureNamespace } from './ssh-public-key.ts';
import { parseSshsig, type Sshsig, verifySshsig } from './sshsig.ts';
import { defaultTarLimits, readTar, type TarEntrySink, type TarLimits } from './tar-reader.ts';
import type { TrustedSigners } from './trust.ts';

export interface BundleLimits extends TarLimits {
  /** Decompressed bytes may be at most this many times the file's bytes... */
  readonly maxRatio: number;
  /** ...once more than this much was decompressed. */
  readonly ratioFloorBytes: number;
}

export const defaultBundleLimits: BundleLimits = {
  ...defaultTarLimits,
  // Real bundles compress logs 5-50x; a stream of one repeated byte reaches 1000x with gzip and far more with zstd.
  maxRatio: 1000,
  ratioFloorBytes: 256 * 1024 * 1024,
};

export interface ReadOptions {
  /** Texts of age identity files, for encrypted bundles. */
  readonly identities?: readonly string[];
  /** When given, the signer must be one these allow (else 'wrong-signer'). */
  readonly trusted?: TrustedSigners;
  readonly limits?: Partial<BundleLimits>;
  /**
   * Called at the header of each file the manifest lists (after the signature,
   * the manifest and SHA256SUMS held), to receive its body in the same pass.
   * The bundle is proven only when readBundle resolves.
   */
  readonly onEntry?: (file: BundleFile) => TarEntrySink | undefined;
  /**
   * Called once the signature, the manifest and SHA256SUMS held, before any
   * content entry is read; it may throw a BundleProblem to stop (the
   * collector checks the site's pinned key and the file list here).
   */
  readonly onProven?: (manifest: BundleManifest, signer: VerifiedBundle['signer']) => void;
  /** The time a trusted key's validity is checked at; default now. */
  readonly now?: Date;
}

export interface VerifiedBundle {
  readonly path: string;
  readonly encrypted: boolean;
  readonly compression: 'gzip' | 'zstd';
  readonly manifest: BundleManifest;
  /** The signer's fingerprint and public key line, and whether it was checked against trusted keys. */
  readonly signer: { readonly fingerprint: string; readonly publicKey: string; readonly trusted: boolean };
  /** Files listed in the manifest, and their total uncompressed size. */
  readonly files: number;
  readonly bytes: number;
  /** The four seal entries' bytes as read (the collector keeps them beside the unpacked files). */
  readonly seal: { readonly [name in SealEntryName]: Buffer };
}

export type SealEntryName = 'manifest.json' | 'manifest.json.sig' | 'SHA256SUMS' | 'signing-key.pub';

/** The four entries every bundle begins with, in this order, with their caps and the problem when absent. */
const sealEntries = [
  { name: 'manifest.json', cap: maxManifestBytes, missing: 'manifest-invalid' },
  { name: 'manifest.json.sig', cap: 16 * 1024, missing: 'unsigned' },
  { name: 'SHA256SUMS', cap: 32 * 1024 * 1024, missing: 'tampered' },
  { name: 'signing-key.pub', cap: 16 * 1024, missing: 'unsigned' },
] as const;

export async function readBundle(path: string, options: ReadOptions = {}): Promise<VerifiedBundle> {
  const limits: BundleLimits = { ...defaultBundleLimits, ...options.limits };
  const opened = await openBundle(path, options.identities);
  if (opened.frames) opened.frames.maxFrames = 256;
  const held: Buffer[] = [];
  let manifestDigest: Digest | undefined;
  let proven:
    | { manifest: BundleManifest; signer: VerifiedBundle['signer']; listed: Map<string, BundleFile> }
    | undefined;
  const seen = new Set<string>();
  let bytes = 0;

  const sealEntry = (name: string, size: number): TarEntrySink => {
    const index = held.length;
    const expected = sealEntries[index];
    if (!expected) throw new Error('sealEntry past the seal entries');
    if (name !== expected.name) {
      const where = index === 0 ? 'the first entry' : `the entry after ${sealEntries[index - 1]?.name}`;
      throw new BundleProblem(
        expected.missing,
        `${expected.name} is missing (it must be ${where}; found ${printable(name)})`,
      );
    }
    if (size > expected.cap) {
      throw new BundleProblem('limit', `${name} has ${size} bytes, more than any bundle's (${expected.cap})`, {
        entry: name,
      });
    }
    const parts: Buffer[] = [];
    const hasher = new Hasher();
    return {
      data(chunk) {
        parts.push(Buffer.from(chunk));
        hasher.update(chunk);
      },
      end() {
        held.push(Buffer.concat(parts));
        if (index === 0) manifestDigest = hasher.digest();
        if (held.length === sealEntries.length) {
          proven = prove(held, manifestDigest as Digest, options, limits);
          options.onProven?.(proven.manifest, proven.signer);
          bytes = proven.manifest.files.reduce((sum, file) => sum + file.size, 0);
          if (opened.frames) opened.frames.maxFrames = 256 + 4 * proven.manifest.files.length + bytes / 2 ** 20;
        }
      },
    };
  };

  const contentEntry = (name: string, size: number): TarEntrySink => {
    const listing = proven?.listed.get(name);
    if (!proven || !listing) throw new BundleProblem('tampered', `${printable(name)} is not listed in the manifest`);
    if (size !== listing.size) {
      throw new BundleProblem('tampered', `${printable(name)} has ${size} bytes, the manifest says ${listing.size}`);
    }
    seen.add(name);
    const hasher = new Hasher();
    const sink = options.onEntry?.(listing);
    return {
      data(chunk) {
        hasher.update(chunk);
        sink?.data(chunk);
      },
      end() {
        if (hasher.digest().sha256 !== listing.sha256) {
          throw new BundleProblem('tampered', `the content of ${printable(name)} differs from what was signed`);
        }
        sink?.end();
      },
    };
  };

  try {
    await readTar(
      bounded(opened.tar, opened.compressedBytesRead, limits),
      (name, size) => (held.length < sealEntries.length && !proven ? sealEntry(name, size) : contentEntry(name, size)),
      limits,
    );
    if (!proven) {
      const missing = sealEntries[held.length] ?? sealEntries[0];
      throw new BundleProblem(missing.missing, `${missing.name} is not in the archive`);
    }
    for (const file of proven.manifest.files) {
      if (file.path !== 'signing-key.pub' && !seen.has(file.path)) {
        throw new BundleProblem('tampered', `${printable(file.path)} is listed in the manifest but missing`);
      }
    }
  } finally {
    await opened.close();
  }
  return {
    path,
    encrypted: opened.encrypted,
    compression: opened.compression,
    manifest: proven.manifest,
    signer: proven.signer,
    files: proven.manifest.files.length,
    bytes,
    seal: {
      'manifest.json': held[0] as Buffer,
      'manifest.json.sig': held[1] as Buffer,
      SHA256SUMS: held[2] as Buffer,
      'signing-key.pub': held[3] as Buffer,
    },
  };
}

/** The signature over the manifest's bytes, then the manifest, then SHA256SUMS and signing-key.pub against it. */
function prove(held: Buffer[], manifestDigest: Digest, options: ReadOptions, limits: BundleLimits) {
  const [manifestBytes, sigText, sumsBytes, pubText] = held as [Buffer, Buffer, Buffer, Buffer];
  const publicKey = checkSignature(manifestBytes, sigText, pubText);
  const signedBy = fingerprint(publicKey);
  if (options.trusted) {
    const refusal = options.trusted.refuse(publicKey, options.now ?? new Date());
    if (refusal !== undefined) {
      throw new BundleProblem('wrong-signer', refusal, { fingerprint: signedBy, signer: options.trusted.label });
    }
  }
  const manifest = parseManifest(manifestBytes);
  if (manifest.signing_key.fingerprint !== signedBy) {
    throw new BundleProblem(
      'bad-signature',
      `the manifest names key ${printable(manifest.signing_key.fingerprint)}, but ${signedBy} signed it`,
    );
  }
  for (const file of manifest.files) {
    // A name no bundle can hold is the entry's problem, not SHA256SUMS' (which cannot list it either).
    if (!isPlainBundlePath(file.path)) {
      throw new BundleProblem('unsafe-entry', 'an absolute path, "..", a control character or another unsafe name', {
        entry: printable(file.path),
      });
    }
  }
  const listed = new Map(manifest.files.map((file) => [file.path, file]));
  const total = manifest.files.reduce((sum, file) => sum + file.size, 0);
  if (manifest.files.length > limits.maxEntries || total > limits.maxTotalSize) {
    throw new BundleProblem(
      'limit',
      `the manifest lists ${manifest.files.length} files of ${total} bytes, more than this reader takes (${limits.maxEntries} files, ${limits.maxTotalSize} bytes)`,
    );
  }
  const directories = new Set<string>();
  for (const path of [...listed.keys(), ...sealEntries.map((entry) => entry.name)]) {
    for (let slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
      directories.add(path.slice(0, slash));
    }
  }
  for (const path of [...listed.keys(), ...sealEntries.map((entry) => entry.name)]) {
    if (directories.has(path)) {
      throw new BundleProblem('unsafe-entry', 'it is listed as a file and is also the directory of another file', {
        entry: printable(path),
      });
    }
  }
  for (const name of ['manifest.json', 'manifest.json.sig', 'SHA256SUMS']) {
    if (listed.has(name)) throw new BundleProblem('tampered', `the manifest lists ${name}, which cannot list itself`);
  }
  checkSums(manifest, manifestDigest, sumsBytes);
  const pubListing = listed.get('signing-key.pub');
  const pubDigest = new Hasher();
  pubDigest.update(pubText);
  const { size, sha256 } = pubDigest.digest();
  if (!pubListing || pubListing.size !== size || pubListing.sha256 !== sha256) {
    throw new BundleProblem('tampered', 'signing-key.pub differs from what the manifest lists');
  }
  listed.delete('signing-key.pub');
  const signer = { fingerprint: signedBy, publicKey: pubText.toString('utf8').trim(), trusted: !!options.trusted };
  return { manifest, signer, listed };
}

/** Returns the raw Ed25519 key that made a valid signature over the manifest's bytes. */
function checkSignature(manifestBytes: Buffer, sigText: Buffer, pubText: Buffer): Buffer {
  const bad = (detail: string) => new BundleProblem('bad-signature', detail);
  let sig: Sshsig;
  let embedded: Buffer;
  try {
    sig = parseSshsig(sigText.toString('utf8'));
  } catch (error) {
    throw bad(`manifest.json.sig is not a usable SSH signature: ${printable((error as Error).message, 120)}`);
  }
  try {
    embedded = parsePublicKeyLine(pubText.toString('utf8'));
  } catch (error) {
    throw bad(`signing-key.pub is not an OpenSSH Ed25519 key: ${printable((error as Error).message, 120)}`);
  }
  if (sig.namespace !== signatureNamespace) {
    throw bad(`it was made for "${printable(sig.namespace, 64)}", not "${signatureNamespace}"`);
  }
  if (!verifySshsig(sig, manifestBytes, signatureNamespace)) throw bad('manifest.json was changed after signing');
  if (!sig.publicKey.equals(embedded)) {
    throw bad(`it was made by ${fingerprint(sig.publicKey)}, not by the key in signing-key.pub`);
  }
  return sig.publicKey;
}

function checkSums(manifest: BundleManifest, manifestDigest: Digest, sumsBytes: Buffer): void {
  const tampered = (detail: string) => new BundleProblem('tampered', detail);
  let sums: Map<string, string>;
  try {
    sums = parseSha256Sums(sumsBytes.toString('utf8'));
  } catch (error) {
    throw tampered(`SHA256SUMS is malformed: ${printable((error as Error).message, 120)}`);
  }
  const expected = new Map(manifest.files.map((file) => [file.path, file.sha256]));
  expected.set('manifest.json', manifestDigest.sha256);
  for (const [name, sha256] of expected) {
    if (sums.get(name) !== sha256) {
      throw tampered(`SHA256SUMS ${sums.has(name) ? 'disagrees on' : 'does not list'} ${printable(name)}`);
    }
  }
  for (const name of sums.keys()) {
    if (!expected.has(name)) throw tampered(`SHA256SUMS lists ${printable(name)}, which the manifest does not`);
  }
}

/** Refuses decompressed data that outgrows the file by more than any real bundle does (a bomb). */
async function* bounded(
  tar: AsyncIterable<Buffer>,
  compressedBytesRead: () => number,
  limits: BundleLimits,
): AsyncIterable<Buffer> {
  let out = 0;
  for await (const chunk of tar) {
    out += chunk.length;
    if (out > limits.ratioFloorBytes && out > limits.maxRatio * Math.max(1, compressedBytesRead())) {
      throw new BundleProblem(
        'limit',
        `it decompresses to more than ${limits.maxRatio} times its size, which no real bundle does (a compression bomb)`,
      );
    }
    yield chunk;
  }
}
