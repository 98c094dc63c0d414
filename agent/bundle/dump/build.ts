// Builds one support bundle: collect (every byte through the redaction
// engine), rescan everything staged with the full rule set and fail closed on
// any finding, then seal (manifest, SHA256SUMS, signature, optional age) into
// a temporary file that is renamed into place only at the very end.
import type { Writable } from 'node:stream';
import { toolVersion } from '../../../core/version.ts';
import type { BundleManifest } from '../../../schemas/bundle-manifest.ts';
import type { AgentConfig } from '../../config.ts';
import { createRedactor } from '../../redaction/index.ts';
import { type CollectProgress, collectBundle } from '../collect/index.ts';
import type { Compression } from '../seal/archive.ts';
import { blockFormat } from '../seal/compress.ts';
import { checkRecipient } from '../seal/encrypt.ts';
import { type SealedBundle, sealBundle } from '../seal/seal.ts';
import { loadOrCreateSigningKey } from '../seal/signing-key.ts';
import { BundleStaging } from '../seal/staging.ts';
import type { StagedFile as CollectedFile } from '../staging.ts';
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
  const { config, env, dataDir } = options;
  if (options.recipient) checkRecipient(options.recipient);
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
  const collected = await collectBundle({
    window: options.window,
    containers: options.containers,
    redactor,
    checker,
    // Staging workers compress as they write (a dry run writes no archive).
    ...(!options.dryRun && { pack: options.compression }),
    config,
    maxBytes: options.maxBytes,
    stagingParent: `${dataDir}/tmp`,
    env,
    onProgress: options.onProgress,
  });
  const staged = collected.staging;
  let sealStaging: BundleStaging | undefined;
  try {
    if (options.dryRun || !checker) return { files: collected.files, summary: collected.summary };

    options.onProgress({ phase: 'rescan' });
    const literals = redactor.literalValues();
    checker.addLiterals(literals);
    await rescan(collected.files, (path) => staged.pathOf(path), checker, literals.length);

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
    const sealed = await sealBundle({
      staging: sealStaging,
      manifest,
      key: loadOrCreateSigningKey(dataDir),
      output: options.output,
      compression: options.compression,
      recipient: options.recipient,
    });
    const path = await sealed.release();
    return { files: collected.files, summary: collected.summary, sealed, path };
  } finally {
    await staged.remove();
    await sealStaging?.discard();
  }
}
