// Unpacked bundles made up for one test: the files it needs written into a
// temporary directory, a manifest that lists them, and the analysis run over
// it as ingest runs it (readFacts, the same events the index gets, observe in
// batches, finish).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AnalysisContext } from '../../../../collector/analyze/analyzer.ts';
import { createAnalysis, type Finding } from '../../../../collector/analyze/index.ts';
import { bundleEvents } from '../../../../collector/ingest/events.ts';
import { readFacts } from '../../../../collector/ingest/facts.ts';
import type { BundleManifest } from '../../../../schemas/bundle-manifest.ts';
import { tempDir } from '../../../helpers/temp.ts';

export const createdAt = '2025-06-01T12:00:00.000Z';

export interface Crafted {
  readonly dir: string;
  readonly manifest: BundleManifest;
}

/** Writes `files` (text as is, anything else as pretty JSON, as the agent writes) and a manifest listing them. */
export function craftBundle(
  files: Record<string, unknown>,
  manifest: Partial<Pick<BundleManifest, 'created_at' | 'collectors' | 'truncations' | 'window'>> = {},
): Crafted {
  const dir = tempDir('shiplog-analyze-');
  const listed: BundleManifest['files'] = [];
  for (const [path, content] of Object.entries(files)) {
    const text = typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    listed.push({
      path,
      size: Buffer.byteLength(text),
      sha256: createHash('sha256').update(text).digest('hex'),
    });
  }
  const created = manifest.created_at ?? createdAt;
  const full: BundleManifest = {
    format_version: 1,
    tool: { name: 'shiplog', version: '0.1.0' },
    created_at: created,
    host: { name: 'app-01' },
    window: manifest.window ?? {
      since: new Date(Date.parse(created) - 24 * 3600_000).toISOString(),
      until: created,
    },
    collectors: manifest.collectors ?? [{ name: 'host', status: 'ok', duration_ms: 120 }],
    files: listed,
    redaction: { packs: [], key_id: 'none', by_rule: {}, by_category: {}, by_file: {}, rescan: 'clean' },
    truncations: manifest.truncations ?? [],
    signing_key: { algorithm: 'ssh-ed25519', fingerprint: 'SHA256:test' },
  };
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(full, null, 2)}\n`);
  return { dir, manifest: full };
}

/** Runs the analysis over a crafted bundle the way the ingest pipeline does. */
export async function analyze(bundle: Crafted, context: Partial<AnalysisContext> = {}): Promise<Finding[]> {
  const facts = await readFacts(bundle.dir);
  const analysis = createAnalysis({
    tenant: 'acme',
    bundle: 'b-test',
    createdAt: bundle.manifest.created_at,
    ...context,
  });
  const place = {
    tenant: 'acme',
    bundle: 'b-test',
    dir: bundle.dir,
    manifest: bundle.manifest,
    ...(facts.timezone && { timezone: facts.timezone }),
  };
  for await (const batch of bundleEvents(place)) analysis.observe(batch);
  return analysis.finish(bundle.dir, bundle.manifest, facts);
}

/** A `docker inspect` document with the parts the analyzers read. */
export function inspect(
  name: string,
  state: Record<string, unknown>,
  more: { restarts?: number; image?: string; policy?: string; memory?: number; id?: string } = {},
): Record<string, unknown> {
  return {
    Id: more.id ?? createHash('sha256').update(name).digest('hex'),
    Name: `/${name}`,
    RestartCount: more.restarts ?? 0,
    Config: { Image: more.image ?? 'acme/app:1.0.0', Env: ['PATH=/bin'] },
    HostConfig: { RestartPolicy: { Name: more.policy ?? 'no' }, Memory: more.memory ?? 0 },
    State: {
      Status: 'running',
      Running: true,
      Restarting: false,
      OOMKilled: false,
      ExitCode: 0,
      Error: '',
      StartedAt: '2025-06-01T11:00:00.000000000Z',
      FinishedAt: '0001-01-01T00:00:00Z',
      ...state,
    },
  };
}

/** Container log lines in the bundle's format, one second apart from `start`. */
export function containerLog(lines: readonly string[], start = '2025-06-01T11:00:00.000Z', stream = 'stdout'): string {
  const base = Date.parse(start);
  return `${lines.map((text, index) => `${new Date(base + index * 1000).toISOString()} ${stream} ${text}`).join('\n')}\n`;
}

export function byAnalyzer(findings: readonly Finding[], analyzer: string): Finding[] {
  return findings.filter((finding) => finding.analyzer === analyzer);
}
