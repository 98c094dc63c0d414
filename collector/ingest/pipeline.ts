// One bundle's ingest, as a job runs it: received → verifying → indexing →
// indexed, or rejected (a coded error) or quarantined (a changed site key, a
// secret that survived). Every upload is hostile until proven otherwise:
// the file is decrypted, verified and unpacked in one pass by the shared
// reader into a fresh directory that appears only when all of it held; the
// site's key is pinned on its first bundle per tenant; the unpacked files are
// scanned for secrets; only then are its events written to the index, where
// they become visible all at once on commit.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { type BundleProblem, type BundleProblemKind, isBundleProblem } from '../../bundle/problems.ts';
import { CodedError, type ErrorSpec } from '../../core/coded-error.ts';
import {
  compareFindings,
  createAnalysis,
  type KnownIssueSource,
  previousFindings,
  saveFindings,
} from '../analyze/index.ts';
import type { BlobStore } from '../blobs/store.ts';
import type { CollectorPaths } from '../data-dir.ts';
import { collectorErrors } from '../errors.ts';
import type { Index, IndexedEvent } from '../index/types.ts';
import { getBundle, setIndexed, setStatus, setVerified } from '../store/bundles.ts';
import { pinIfFirst, setPending, siteKey } from '../store/site-keys.ts';
import { type BundlePlace, bundleEvents } from './events.ts';
import { readFacts } from './facts.ts';
import { findSecret } from './rescan.ts';
import { unpackBundle } from './unpack.ts';

export interface IngestContext {
  readonly control: DatabaseSync;
  readonly paths: CollectorPaths;
  readonly blobs: BlobStore;
  readonly index: Index;
  /** Texts of the vendor's age identity files (several, for key rotation). */
  readonly identities: readonly string[];
  /** Keep rejected blobs for inspection (default) or delete them. */
  readonly keepRejected: boolean;
  readonly limits?: { maxEntries?: number; maxEntrySize?: number; maxTotalSize?: number };
  /** The vendor's known-issue rules (reloaded when the file changes). */
  readonly knownIssues?: KnownIssueSource;
}

const problemCodes: Record<BundleProblemKind, ErrorSpec> = {
  unreadable: collectorErrors.BUNDLE_UNREADABLE,
  'not-a-bundle': collectorErrors.BUNDLE_NOT_A_BUNDLE,
  decrypt: collectorErrors.BUNDLE_DECRYPT,
  truncated: collectorErrors.BUNDLE_TRUNCATED,
  'unsafe-entry': collectorErrors.BUNDLE_UNSAFE_ENTRY,
  'manifest-invalid': collectorErrors.BUNDLE_MANIFEST_INVALID,
  unsigned: collectorErrors.BUNDLE_UNSIGNED,
  'bad-signature': collectorErrors.BUNDLE_BAD_SIGNATURE,
  'wrong-signer': collectorErrors.BUNDLE_WRONG_SIGNER,
  'signer-invalid': collectorErrors.BUNDLE_WRONG_SIGNER,
  tampered: collectorErrors.BUNDLE_TAMPERED,
  limit: collectorErrors.BUNDLE_LIMIT,
};

/** A bundle-format problem as the collector's coded error. */
export function problemError(problem: BundleProblem): CodedError {
  return new CodedError(
    problemCodes[problem.kind],
    { detail: problem.detail, entry: '(unknown)', fingerprint: '(unknown)', ...problem.facts },
    { cause: problem },
  );
}

/** Runs the ingest of one bundle; records the outcome on the bundle. Throws only on internal failures. */
export async function ingestBundle(ctx: IngestContext, id: string): Promise<void> {
  const row = getBundle(ctx.control, id);
  if (!row || row.status === 'deleted') return;
  const { tenant } = row;
  setStatus(ctx.control, id, 'verifying');
  let keyChange: { site: string; fingerprint: string; pinned: string; publicKey: string } | undefined;
  let unpacked: Awaited<ReturnType<typeof unpackBundle>>;
  try {
    unpacked = await unpackBundle(ctx.blobs.pathOf(row.sha256), {
      parent: join(ctx.paths.unpacked, tenant),
      name: id,
      identities: ctx.identities,
      limits: ctx.limits,
      onProven(manifest, signer) {
        const pinned = siteKey(ctx.control, tenant, manifest.host.name);
        if (pinned && pinned.fingerprint !== signer.fingerprint) {
          keyChange = {
            site: manifest.host.name,
            fingerprint: signer.fingerprint,
            pinned: pinned.fingerprint,
            publicKey: signer.publicKey,
          };
        }
      },
      // A bundle whose key changed is verified whole but not unpacked until an admin accepts the key.
      write: () => keyChange === undefined,
    });
  } catch (error) {
    if (!isBundleProblem(error)) throw error;
    const coded = problemError(error);
    await reject(ctx, id, row.sha256, coded);
    return;
  }
  const { verified, dir } = unpacked;
  const manifest = verified.manifest;
  setVerified(ctx.control, id, {
    site: manifest.host.name,
    createdAt: manifest.created_at,
    signer: verified.signer.fingerprint,
    encrypted: verified.encrypted,
    manifest: JSON.stringify(manifest),
  });
  if (keyChange || !dir) {
    const change = keyChange as NonNullable<typeof keyChange>;
    setPending(ctx.control, tenant, change.site, change.fingerprint, change.publicKey, id);
    const coded = new CodedError(collectorErrors.SITE_KEY_CHANGED, change);
    setStatus(ctx.control, id, 'quarantined', { code: coded.code, message: coded.message });
    return;
  }
  const secret = await findSecret(dir, manifest);
  if (secret) {
    await rm(dir, { recursive: true, force: true });
    const coded = new CodedError(collectorErrors.SECRET_FOUND, { ...secret });
    setStatus(ctx.control, id, 'quarantined', { code: coded.code, message: coded.message });
    return;
  }
  pinIfFirst(ctx.control, tenant, manifest.host.name, verified.signer.fingerprint, verified.signer.publicKey);
  setStatus(ctx.control, id, 'indexing');
  const facts = await readFacts(dir);
  // The analyzers see every event in the same pass that indexes it.
  const analysis = createAnalysis({
    tenant,
    bundle: id,
    createdAt: manifest.created_at,
    receivedAt: row.received_at,
    ...(ctx.knownIssues && { knownIssues: ctx.knownIssues }),
  });
  const place = { tenant, bundle: id, dir, manifest, timezone: facts.timezone };
  const lines = await writeEvents(ctx.index, place, (batch) => analysis.observe(batch));
  const found = await analysis.finish(dir, manifest, facts);
  const previous = previousFindings(ctx.control, tenant, manifest.host.name, manifest.created_at);
  const { findings, resolved } = compareFindings(previous?.findings, found);
  ctx.control.prepare('DELETE FROM findings WHERE bundle = ?').run(id);
  saveFindings(ctx.control, { bundle: id, tenant, site: manifest.host.name }, [...findings, ...resolved]);
  setIndexed(ctx.control, id, lines, JSON.stringify(facts));
}

async function reject(ctx: IngestContext, id: string, sha256: string, error: CodedError): Promise<void> {
  setStatus(ctx.control, id, 'rejected', { code: error.code, message: error.message });
  if (!ctx.keepRejected) {
    const others = ctx.control
      .prepare(`SELECT COUNT(*) AS n FROM bundles WHERE sha256 = ? AND id != ? AND status != 'deleted'`)
      .get(sha256, id) as { n: number };
    if (others.n === 0) await ctx.blobs.remove(sha256);
  }
}

/** The job runner's last resort: an internal failure is recorded on the bundle, to be retried. */
export function recordFailure(control: DatabaseSync, id: string, error: unknown): void {
  const coded = new CodedError(collectorErrors.INGEST_FAILED, { detail: (error as Error)?.message ?? String(error) });
  setStatus(control, id, 'received', { code: coded.code, message: coded.message });
}

/**
 * Writes one unpacked bundle's events into the index, replacing its earlier
 * ones all at once on commit (ingest, reindex); `observe` sees each batch.
 */
export async function writeEvents(
  index: Index,
  place: BundlePlace,
  observe?: (batch: readonly IndexedEvent[]) => void,
): Promise<number> {
  const writer = await index.writer(place.tenant, place.bundle);
  let lines = 0;
  try {
    for await (const batch of bundleEvents(place)) {
      writer.add(batch);
      observe?.(batch);
      lines += batch.length;
      await writer.ready?.();
    }
    await writer.commit();
  } catch (error) {
    await writer.abort().catch(() => {});
    throw error;
  }
  return lines;
}
