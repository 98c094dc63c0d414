// `shiplog-collector reindex [--tenant NAME] [--bundle ID] [--json]`:
// writes the events of indexed bundles into the configured index again, for
// instance after a vendor moved from SQLite to Elasticsearch, or after the
// index was lost. A bundle whose unpacked files are still there is read
// from them with the ingest's own reader (bundleEvents); one whose files
// are gone is ingested again from its stored blob by the ingest queue
// (verified, unpacked, scanned and indexed as on upload). Each bundle
// replaces its previous events all at once, so searches go on meanwhile.
// Prints what it did per bundle; exits 0 only when every bundle was
// written.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import type { BundleManifest } from '../../../schemas/bundle-manifest.ts';
import { checkTenantName, tenantNames } from '../../access/tenants.ts';
import { loadCollectorConfig } from '../../config.ts';
import { collectorErrors } from '../../errors.ts';
import type { Index } from '../../index/types.ts';
import { readFacts } from '../../ingest/facts.ts';
import { requeue } from '../../ingest/jobs.ts';
import { writeEvents } from '../../ingest/pipeline.ts';
import { openCollector } from '../../service.ts';
import { type BundleRow, getBundle, listBundles, setIndexed } from '../../store/bundles.ts';

const usage = `Usage: shiplog-collector reindex [--tenant NAME] [--bundle ID] [--json] [--config FILE]

Writes the events of the indexed bundles (of one tenant, or one bundle) into
the configured index again: from their unpacked files, or, where those are
gone, by ingesting the stored bundle file again. Use it after switching the
index backend (for example to Elasticsearch) or after losing the index.
`;

interface Outcome {
  readonly bundle: string;
  readonly tenant: string;
  readonly from: 'unpacked' | 'blob';
  readonly ok: boolean;
  readonly lines?: number;
  readonly error?: string;
}

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      tenant: { type: 'string' },
      bundle: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const tenant = values.tenant === undefined ? undefined : checkTenantName(values.tenant);
  const setup = loadCollectorConfig(values.config, io.env);
  const service = await openCollector(setup);
  const outcomes: Outcome[] = [];
  const report = (outcome: Outcome) => {
    outcomes.push(outcome);
    if (values.json) io.stdout.write(`${JSON.stringify(outcome)}\n`);
    else {
      const what = outcome.ok
        ? `${outcome.lines ?? 0} lines from ${outcome.from === 'unpacked' ? 'its unpacked files' : 'its stored bundle file'}`
        : `failed: ${outcome.error}`;
      io.stdout.write(`${outcome.bundle} (${outcome.tenant}): ${what}\n`);
    }
  };
  try {
    const rows = selectBundles(service.control, tenant, values.bundle);
    const fromBlobs: BundleRow[] = [];
    for (const row of rows) {
      const dir = join(setup.paths.unpacked, row.tenant, row.id);
      if (row.manifest && existsSync(join(dir, 'manifest.json'))) {
        try {
          const lines = await indexUnpacked(service.index, row, dir);
          setIndexed(service.control, row.id, lines.lines, lines.facts);
          report({ bundle: row.id, tenant: row.tenant, from: 'unpacked', ok: true, lines: lines.lines });
        } catch (error) {
          report({ bundle: row.id, tenant: row.tenant, from: 'unpacked', ok: false, error: messageOf(error) });
        }
      } else {
        fromBlobs.push(row);
      }
    }
    if (fromBlobs.length > 0) {
      for (const row of fromBlobs) requeue(service.control, row.id);
      service.queue.start();
      await service.queue.idle();
      for (const row of fromBlobs) {
        const after = getBundle(service.control, row.id);
        const ok = after?.status === 'indexed';
        report({
          bundle: row.id,
          tenant: row.tenant,
          from: 'blob',
          ok,
          ...(ok
            ? { lines: after?.lines ?? 0 }
            : { error: `${after?.status ?? 'gone'}: ${after?.error_message ?? ''}` }),
        });
      }
    }
  } finally {
    await service.close();
  }
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  const lines = outcomes.reduce((sum, outcome) => sum + (outcome.lines ?? 0), 0);
  const summary = `reindexed ${outcomes.length - failed} of ${outcomes.length} bundles (${lines} lines) into the ${service.index.backend} index`;
  if (values.json) io.stdout.write(`${JSON.stringify({ summary, bundles: outcomes.length, failed, lines })}\n`);
  else io.stdout.write(`${summary}\n`);
  return failed === 0 ? 0 : 1;
}

/** The indexed bundles asked for, oldest first (so that they are written in the order they came). */
function selectBundles(
  control: Parameters<typeof listBundles>[0],
  tenant: string | undefined,
  bundle: string | undefined,
): BundleRow[] {
  if (bundle !== undefined) {
    const row = getBundle(control, bundle);
    if (!row || row.status === 'deleted' || (tenant !== undefined && row.tenant !== tenant)) {
      throw new CodedError(collectorErrors.NOT_FOUND, { what: `bundle ${bundle}` });
    }
    if (row.status !== 'indexed') {
      throw new CodedError(collectorErrors.USAGE, {
        detail: `bundle ${bundle} is ${row.status}, not indexed; only indexed bundles are reindexed`,
      });
    }
    return [row];
  }
  const tenants = tenant === undefined ? tenantNames(control) : [tenant];
  return listBundles(control, { tenants, status: 'indexed', limit: Number.MAX_SAFE_INTEGER }).reverse();
}

/** One bundle's events from its unpacked files, written as the ingest writes them. */
async function indexUnpacked(index: Index, row: BundleRow, dir: string): Promise<{ lines: number; facts: string }> {
  const manifest = JSON.parse(row.manifest as string) as BundleManifest;
  const facts = await readFacts(dir);
  const place = { tenant: row.tenant, bundle: row.id, dir, manifest, timezone: facts.timezone };
  return { lines: await writeEvents(index, place), facts: JSON.stringify(facts) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
