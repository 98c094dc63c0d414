// Builds one support bundle: collect (every byte through the redaction
// engine), rescan everything staged with the full rule set and fail closed on
// any finding, then seal (manifest, SHA256SUMS, signature, optional age) into
// a temporary file that is put in place only at the very end.
//
// Whatever happens (a failed rescan, a full disk, an output path that may not
// be replaced, Ctrl-C), nothing of the run is left behind: everything it
// stages lives in one directory of its own under <data dir>/tmp, and the
// temporary bundle file is removed, before the error is reported.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { toolVersion } from '../../../core/version.ts';
import type { BundleManifest } from '../../../schemas/bundle-manifest.ts';
import type { AgentConfig } from '../../config.ts';
import { createRedactor } from '../../redaction/index.ts';
import { type CollectProgress, collectBundle } from '../collect/index.ts';
import type { Compression } from '../seal/archive.ts';
import { blockFormat } from '../seal/compress.ts';
import { checkRecipient } from '../seal/encrypt.ts';
import { checkOutputPath, createOutputFile, type OutputFile } from '../seal/output.ts';
import { type SealedBundle, sealBundle } from '../seal/seal.ts';
import { loadOrCreateSigningKey } from '../seal/signing-key.ts';
import { BundleStaging } from '../seal/staging.ts';
import type { StagedFile as CollectedFile, Staging } from '../staging.ts';
import { type DumpPhase, explainFailure, noSpace, ranOutOfSpace } from './failure.ts';
import { rescan } from './rescan.ts';

export interface DumpOptions {
  config: Readonly<AgentConfig>;
  env: NodeJS.ProcessEnv;
  dataDir: string;
  window: { since: Date; until: Date };
  containers?: readonly string[];
  maxBytes: number;
  /** A path, or a stream such as stdout. */
  output: string | Writable;
  compression: Compression;
  recipient?: string;
  dryRun: boolean;
  /** Replace an existing regular file at `output` (--force); anything else there is never replaced. */
  force?: boolean;
  /**
   * Stops the build (Ctrl-C): what the run wrote is removed, then the build
   * rejects with the signal's reason. Collectors still running are left to
   * their timeouts; they can no longer write anything.
   */
  signal?: AbortSignal;
  onProgress: (event: CollectProgress | { phase: 'rescan' | 'seal' }) => void;
}

export interface DumpResult {
  /** Staged files with their sizes and redaction counts (all a dry run gives). */
  files: CollectedFile[];
  summary: string;
  sealed?: SealedBundle;
  /** Where the released bundle is; undefined for a dry run or a stream. */
  path?: string;
}

export async function buildBundle(options: DumpOptions): Promise<DumpResult> {
  const { config, env, dataDir, signal } = options;
  if (options.recipient) checkRecipient(options.recipient);
  const outputPath = typeof options.output === 'string' && !options.dryRun ? options.output : undefined;
  // Refused before anything is collected; the release checks again, atomically.
  if (outputPath) await checkOutputPath(outputPath, { replace: options.force });
  const redactor = createRedactor({ settings: config.redaction, env, dataDir });
  // The second look uses the built-in packs and ignores operator rule files,
  // so a weakened or mistaken operator rule cannot wave a secret through.
  // Staging workers already look with it as they write (a dry run releases nothing, so needs no look).
  const checker = options.dryRun
    ? undefined
    : createRedactor({
        settings: { secrets: config.redaction.secrets, personal: config.redaction.personal },
        env,
        dataDir,
      });
  let phase: DumpPhase = 'staging';
  const output = typeof options.output === 'string' ? options.output : undefined;
  const fail = (error: unknown) => explainFailure(error, { phase, dataDir, output });
  const runDir = await createRunDir(dataDir).catch((error) => Promise.reject(fail(error)));
  let staged: Staging | undefined;
  let sealStaging: BundleStaging | undefined;
  let target: OutputFile | undefined;
  try {
    const collected = await stoppable(
      collectBundle({
        window: options.window,
        containers: options.containers,
        redactor,
        checker,
        // Staging workers compress as they write (a dry run writes no archive).
        ...(!options.dryRun && { pack: options.compression }),
        config,
        maxBytes: options.maxBytes,
        stagingParent: runDir,
        env,
        onProgress: options.onProgress,
      }),
      signal,
    );
    staged = collected.staging;
    // A collector that hit a full disk is not a collector problem: the bundle would lack what it was writing.
    for (const run of collected.collectors) {
      const code = ranOutOfSpace(run);
      if (code) throw noSpace(code, { phase, dataDir, output });
    }
    if (options.dryRun || !checker) return { files: collected.files, summary: collected.summary };

    options.onProgress({ phase: 'rescan' });
    const literals = redactor.literalValues();
    checker.addLiterals(literals);
    const stagedNow = staged;
    await stoppable(
      rescan(collected.files, (path) => stagedNow.pathOf(path), checker, literals.length),
      signal,
    );

    options.onProgress({ phase: 'seal' });
    sealStaging = BundleStaging.create(dataDir);
    const format = blockFormat(options.compression);
    for (const file of collected.files) {
      // The collectors' redacted files are sealed where they lie: a gigabyte is not copied twice.
      await sealStaging.adopt(
        file.path,
        staged.pathOf(file.path),
        { collector: file.collector, redactions: file.redactions.total },
        file.sha256 === undefined ? undefined : { size: file.size, sha256: file.sha256 },
        file.packed && { ...format, file: file.packed.path, size: file.packed.size, sha256: file.packed.sha256 },
      );
    }
    const totals = redactor.totals();
    const manifest: Omit<BundleManifest, 'files' | 'signing_key'> = {
      format_version: 1,
      tool: { name: 'shiplog', version: toolVersion },
      created_at: new Date().toISOString(),
      host: collected.host,
      window: { since: options.window.since.toISOString(), until: options.window.until.toISOString() },
      collectors: collected.collectors,
      redaction: {
        packs: redactor.ruleSet.packs.map((pack) => ({
          name: pack.name,
          version: pack.version,
          sha256: pack.hash.replace(/^sha256:/, ''),
        })),
        key_id: redactor.keyId ?? 'none',
        by_rule: totals.by_rule,
        by_category: totals.by_category,
        by_file: Object.fromEntries(collected.files.map((file) => [file.path, file.redactions.by_rule])),
        rescan: 'clean',
      },
      truncations: collected.truncations,
    };
    const key = loadOrCreateSigningKey(dataDir);
    phase = 'output';
    // The bundle file is this run's own, so that a stop removes it even while the archive is being written.
    target = outputPath ? await createOutputFile(outputPath, { replace: options.force }) : undefined;
    const sealed = await stoppable(
      sealBundle({
        staging: sealStaging,
        manifest,
        key,
        output: target?.stream ?? options.output,
        compression: options.compression,
        recipient: options.recipient,
      }),
      signal,
    );
    signal?.throwIfAborted();
    const path = target ? await target.release() : await sealed.release();
    return { files: collected.files, summary: collected.summary, sealed, path };
  } catch (error) {
    throw fail(error);
  } finally {
    await target?.abort();
    await sealStaging?.discard();
    await staged?.remove();
    await rm(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}

/** `<data dir>/tmp/dump-XXXXXX`: every staging directory of this run is made inside it. */
async function createRunDir(dataDir: string): Promise<string> {
  const parent = join(dataDir, 'tmp');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  return mkdtemp(join(parent, 'dump-'));
}

/**
 * `work`, or the signal's reason as soon as it is aborted. Work that is
 * left running fails on its own once its files are gone; that failure is
 * nobody's to report.
 */
function stoppable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}
