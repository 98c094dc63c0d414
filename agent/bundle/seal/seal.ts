// Seals staged content into a bundle: builds manifest.json from the staged
// files' hashes, signs it, writes SHA256SUMS and the archive in the bundle
// layout, and hands back a pending archive for the caller to release.
import type { Writable } from 'node:stream';
import { digestOf, formatSha256Sums } from '../../../bundle/checksums.ts';
import { manifestValidator } from '../../../bundle/manifest.ts';
import { signatureNamespace } from '../../../bundle/ssh-public-key.ts';
import type { BundleFile, BundleManifest } from '../../../schemas/bundle-manifest.ts';
import { type ArchiveEntry, type Compression, type PendingArchive, writeArchive } from './archive.ts';
import type { SigningKey } from './signing-key.ts';
import type { BundleStaging, StagedFile } from './staging.ts';

/** The manifest as the builder knows it; the sealer adds `files` and `signing_key`. */
export type ManifestDraft = Omit<BundleManifest, 'files' | 'signing_key'>;

export interface SealOptions {
  readonly staging: BundleStaging;
  readonly manifest: ManifestDraft;
  readonly key: SigningKey;
  /** A path (written under a temporary name until release()) or a stream such as stdout. */
  readonly output: string | Writable;
  readonly compression?: Compression;
  readonly recipient?: string;
}

export interface SealedBundle extends PendingArchive {
  readonly manifest: BundleManifest;
}

/** Top-level order of the archive after the root files: what a reader wants first comes first. */
const sectionOrder = ['containers', 'syslog', 'host', 'agent'];

export async function sealBundle(options: SealOptions): Promise<SealedBundle> {
  const { key } = options;
  const content = orderContent(options.staging.files());
  const signingKeyPub = Buffer.from(`${key.publicKeyLine}\n`);
  const files: BundleFile[] = [
    { path: 'signing-key.pub', ...digestOf(signingKeyPub) },
    ...content.map((file) => manifestFile(file)),
  ];
  const manifest: BundleManifest = {
    ...options.manifest,
    files,
    signing_key: { algorithm: 'ssh-ed25519', fingerprint: key.fingerprint },
  };
  const check = manifestValidator();
  if (!check.check(manifest)) {
    const detail = check.problems.map((p) => `${p.path || '(root)'} ${p.message}`).join('; ');
    throw new Error(`the bundle manifest does not match its schema: ${detail}`);
  }
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  const signature = Buffer.from(key.sign(manifestBytes, signatureNamespace));
  const sums = Buffer.from(formatSha256Sums([...files, { path: 'manifest.json', ...digestOf(manifestBytes) }]));
  const entries: ArchiveEntry[] = [
    { path: 'manifest.json', source: { bytes: manifestBytes } },
    { path: 'manifest.json.sig', source: { bytes: signature } },
    { path: 'SHA256SUMS', source: { bytes: sums } },
    { path: 'signing-key.pub', source: { bytes: signingKeyPub } },
    ...content.map((file) => ({
      path: file.path,
      source: { file: file.localPath, size: file.size, ...(file.packed && { packed: file.packed }) },
      sha256: file.sha256,
    })),
  ];
  const pending = await writeArchive(entries, options.output, {
    compression: options.compression ?? 'gzip',
    recipient: options.recipient,
    mtime: entryTime(manifest.created_at),
  });
  return Object.assign(pending, { manifest });
}

function manifestFile(file: StagedFile): BundleFile {
  return {
    path: file.path,
    size: file.size,
    sha256: file.sha256,
    ...(file.collector !== undefined && { collector: file.collector }),
    ...(file.redactions !== undefined && { redactions: file.redactions }),
  };
}

/** Root files (SUMMARY.txt) first, then the sections in their fixed order, each in the order staged. */
function orderContent(files: StagedFile[]): StagedFile[] {
  const rank = (path: string) => {
    if (!path.includes('/')) return 0;
    const index = sectionOrder.indexOf(path.slice(0, path.indexOf('/')));
    return index < 0 ? sectionOrder.length + 1 : index + 1;
  };
  return files
    .map((file, index) => ({ file, index }))
    .sort((a, b) => rank(a.file.path) - rank(b.file.path) || a.index - b.index)
    .map(({ file }) => file);
}

/** Entries carry the bundle's creation time, so one bundle's entries agree with its manifest. */
function entryTime(createdAt: string): Date {
  const time = new Date(createdAt);
  return Number.isNaN(time.getTime()) ? new Date() : time;
}
