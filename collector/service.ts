// The collector as one object that `serve` and the commands share: the
// control database, the blob store, the index, the ingest queue and the
// receipt key, opened from one data directory. Receiving a bundle (an HTTP
// body, a finished tus upload, a file given to `ingest`) always goes through
// receive(): store by hash, refuse what is not a bundle at all, record it
// for the tenant, sign a receipt, audit, queue the ingest.
import { open, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { ageMagic } from '../bundle/open.ts';
import { CodedError } from '../core/coded-error.ts';
import { parseBytes } from '../core/units.ts';
import { recordAudit } from './access/audit.ts';
import type { Actor } from './access/principal.ts';
import { knownIssueSource } from './analyze/index.ts';
import { BlobStore, type StoredBlob } from './blobs/store.ts';
import type { CollectorSetup } from './config.ts';
import { openCollectorControl } from './config.ts';
import { collectorErrors } from './errors.ts';
import { openIndex } from './index/open.ts';
import type { Index } from './index/types.ts';
import { JobQueue, requeue } from './ingest/jobs.ts';
import { type IngestContext, ingestBundle, recordFailure } from './ingest/pipeline.ts';
import { type Receipt, ReceiptSigner } from './receipts.ts';
import { type BundleRow, getBundle, receiveBundle, setReceipt, setStatus } from './store/bundles.ts';

/** A job that failed internally this many times is rejected instead of retried. */
const maxAttempts = 3;

export interface CollectorService {
  readonly setup: CollectorSetup;
  readonly control: DatabaseSync;
  readonly blobs: BlobStore;
  readonly index: Index;
  readonly queue: JobQueue;
  readonly receipts: ReceiptSigner;
  readonly maxUploadBytes: number;
  /** Stores a received blob as the tenant's bundle (or answers the existing one) and queues its ingest. */
  accept(blob: StoredBlob, tenant: string, actor: Actor, originalName?: string): Promise<Received>;
  close(): Promise<void>;
}

export interface Received {
  readonly row: BundleRow;
  readonly created: boolean;
  readonly receipt: Receipt;
}

export interface OpenOptions {
  /** Start the ingest queue (serve); commands that only read leave it stopped. */
  readonly ingest?: boolean;
  readonly concurrency?: number;
}

export async function openCollector(setup: CollectorSetup, options: OpenOptions = {}): Promise<CollectorService> {
  const control = openCollectorControl(setup);
  const blobs = new BlobStore(setup.paths.blobs, setup.paths.incoming);
  const index = await openIndex(setup);
  const receipts = new ReceiptSigner(setup.paths.root);
  const identities = await readIdentities(setup.config.identity);
  const { config } = setup;
  const knownIssues = knownIssueSource(config.analysis.known_issues ?? join(setup.paths.root, 'known-issues.yaml'));
  const ingest: IngestContext = {
    knownIssues,
    control,
    paths: setup.paths,
    blobs,
    index,
    identities,
    keepRejected: true,
    limits: {
      maxEntries: config.upload.max_files,
      maxTotalSize: parseBytes(config.upload.max_unpacked_bytes),
    },
  };
  const queue = new JobQueue(control, {
    concurrency: options.concurrency ?? Math.max(1, availableParallelism()),
    run: (bundle) => ingestBundle(ingest, bundle),
    onError: (bundle, error) => {
      const attempts = (
        control.prepare('SELECT attempts FROM jobs WHERE bundle = ?').get(bundle) as { attempts: number } | undefined
      )?.attempts;
      if ((attempts ?? maxAttempts) >= maxAttempts) {
        const coded = new CodedError(collectorErrors.INGEST_FAILED, {
          detail: (error as Error)?.message ?? String(error),
        });
        setStatus(control, bundle, 'rejected', { code: coded.code, message: coded.message });
      } else {
        recordFailure(control, bundle, error);
        setImmediate(() => requeue(control, bundle));
      }
    },
  });
  if (options.ingest) queue.start();
  const maxUploadBytes = parseBytes(config.upload.max_bytes);

  return {
    setup,
    control,
    blobs,
    index,
    queue,
    receipts,
    maxUploadBytes,
    async accept(blob, tenant, actor, originalName) {
      await refuseNonBundle(control, blobs, blob);
      const uploadedBy = actor.kind === 'token' ? actor.tokenId : 'cli';
      const { row, created } = receiveBundle(control, {
        tenant,
        sha256: blob.sha256,
        size: blob.size,
        uploadedBy,
        ...(originalName !== undefined && { originalName }),
      });
      let receipt: Receipt;
      if (row.receipt) receipt = JSON.parse(row.receipt) as Receipt;
      else {
        receipt = receipts.sign({
          id: row.id,
          sha256: row.sha256,
          size: row.size,
          received_at: row.received_at,
          tenant,
        });
        setReceipt(control, row.id, JSON.stringify(receipt));
      }
      recordAudit(control, {
        actor,
        tenant,
        action: 'upload',
        target: row.id,
        detail: { sha256: blob.sha256, size: blob.size, created },
      });
      if (created) queue.kick();
      return { row: getBundle(control, row.id) as BundleRow, created, receipt };
    },
    async close() {
      await queue.stop();
      await index.close();
      control.close();
    },
  };
}

/**
 * A body that is not gzip, zstd or age is refused at once (4xx), before it
 * becomes a bundle; its blob goes unless a bundle already has those bytes.
 */
async function refuseNonBundle(control: DatabaseSync, blobs: BlobStore, blob: StoredBlob): Promise<void> {
  const head = Buffer.alloc(ageMagic.length);
  const handle = await open(blob.path, 'r');
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const zstd = head.readUInt32LE(0) === 0xfd2fb528;
  if (blob.size > 0 && (gzip || zstd || head.equals(ageMagic))) return;
  if (!control.prepare('SELECT 1 FROM bundles WHERE sha256 = ? LIMIT 1').get(blob.sha256))
    await blobs.remove(blob.sha256);
  if (blob.size === 0) throw new CodedError(collectorErrors.UPLOAD_EMPTY);
  throw new CodedError(collectorErrors.UPLOAD_NOT_A_BUNDLE, { detail: 'it is not gzip, zstd or age data' });
}

async function readIdentities(setting: string | readonly string[] | undefined): Promise<string[]> {
  const files = setting === undefined ? [] : typeof setting === 'string' ? [setting] : setting;
  const texts: string[] = [];
  for (const file of files) {
    try {
      texts.push(await readFile(file, 'utf8'));
    } catch (error) {
      throw new CodedError(collectorErrors.CONFIG_INVALID, {
        source: 'identity',
        detail: `the identity file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      });
    }
  }
  return texts;
}
