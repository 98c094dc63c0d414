// The production build, as a package would ship it: `npm run build` into a
// fresh directory, `npm ci --omit=dev` there, and both programs run from it
// on production dependencies only. Every data file and worker entry point the
// code names through core/resources.ts must be in the build, and no
// TypeScript source may be left to strip at run time.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCommand } from '../helpers/cli.ts';
import { type RunningCollector, startCollector } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp.ts';

const node = join(repoRoot, 'node_modules/.bin/node');
const sourceDirs = ['agent', 'bundle', 'collector', 'core', 'schemas'];

function files(dir: string, skip: (path: string) => boolean = () => false): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) found.push(...files(path, skip));
    else found.push(path);
  }
  return found;
}

/** What the sources ask the resolver for: resourcePath('...') and workerUrl('...') with literal arguments. */
function resolverNames(): { resources: string[]; workers: string[] } {
  const resources = new Set<string>();
  const workers = new Set<string>();
  for (const dir of sourceDirs) {
    for (const path of files(join(repoRoot, dir)).filter((file) => file.endsWith('.ts'))) {
      const text = readFileSync(path, 'utf8');
      for (const match of text.matchAll(/resourcePath\('([^']+)'\)/g)) resources.add(match[1] as string);
      for (const match of text.matchAll(/workerUrl\('([^']+)'\)/g)) workers.add(match[1] as string);
    }
  }
  return { resources: [...resources], workers: [...workers] };
}

describe('the production build', () => {
  const out = join(tempDir('shiplog-dist-'), 'dist');
  const work = tempDir('shiplog-dist-run-');
  let collector: RunningCollector | undefined;

  beforeAll(async () => {
    const built = await runCommand(node, [join(repoRoot, 'packaging/build.ts'), '--out', out]);
    if (built.code !== 0) throw new Error(`build failed: ${built.stderr}${built.stdout}`);
    expect(built.stdout.trim().split('\n').at(-1)).toBe(out);
    const installed = await runCommand('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: out,
    });
    if (installed.code !== 0) throw new Error(`npm ci --omit=dev failed: ${installed.stderr}`);
  }, 240_000);

  afterAll(async () => {
    await collector?.stop();
  });

  it('holds compiled JavaScript only, and no development dependency', () => {
    const sources = files(out, (path) => path.includes('node_modules')).filter((path) => /\.(ts|tsx)$/.test(path));
    expect(sources.map((path) => relative(out, path))).toEqual([]);
    for (const dev of ['typescript', 'vitest', '@biomejs', 'playwright-core', 'fast-check']) {
      expect(existsSync(join(out, 'node_modules', dev)), dev).toBe(false);
    }
    const manifest = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
    expect(manifest.devDependencies).toBeUndefined();
    // The V8 flags of the bins travel with the build.
    expect(readFileSync(join(out, 'bin/shiplog.js'), 'utf8').split('\n')[0]).toContain('--max-semi-space-size=4');
  });

  it('has every data file and worker entry point the code names', () => {
    const { resources, workers } = resolverNames();
    expect(resources).toContain('schemas/json/agent-config.schema.json');
    expect(workers).toContain('agent/redaction/worker');
    for (const path of resources) expect(existsSync(join(out, path)), path).toBe(true);
    for (const module of workers) expect(statSync(join(out, `${module}.js`)).isFile(), module).toBe(true);
  });

  it('runs the agent side: redact, dump and verify', async () => {
    const env = { ...process.env, SHIPLOG_DATA_DIR: join(work, 'agent') };
    const redacted = await runCommand(node, [join(out, 'bin/shiplog.js'), 'redact'], {
      env,
      input: 'db login failed: password=Tr0ub4dor&3 from 10.20.30.40\n',
    });
    expect(redacted.code).toBe(0);
    expect(redacted.stdout).not.toContain('Tr0ub4dor');
    const syslog = join(work, 'messages');
    const now = Date.now();
    writeFileSync(
      syslog,
      Array.from(
        { length: 50_000 },
        (_, i) => `${new Date(now - 60_000 + i).toISOString()} app-01 app[7]: dist line ${i}\n`,
      ).join(''),
    );
    const config = join(work, 'agent.yml');
    writeFileSync(config, `sources:\n  files:\n    paths: [${syslog}]\n`);
    const bundle = join(work, 'bundle.tar.gz');
    const dumped = await runCommand(
      node,
      [join(out, 'bin/shiplog.js'), 'dump', '--config', config, '--since', '1h', '--out', bundle],
      { env },
    );
    expect(dumped.code, dumped.stderr).toBe(0);
    const verified = await runCommand(node, [join(out, 'bin/shiplog.js'), 'verify', bundle], { env });
    expect(verified.code, verified.stderr).toBe(0);
  }, 120_000);

  it('runs the collector: ingest, serve the compiled pages, search', async () => {
    const env = { ...process.env, SHIPLOG_COLLECTOR_DATA_DIR: join(work, 'collector') };
    const bundle = join(work, 'bundle.tar.gz');
    const ingested = await runCommand(
      node,
      [join(out, 'bin/shiplog-collector.js'), 'ingest', bundle, '--tenant', 'acme'],
      { env },
    );
    expect(ingested.code, ingested.stderr).toBe(0);
    expect(ingested.stdout).toContain('indexed');
    collector = await startCollector({
      dataDir: env.SHIPLOG_COLLECTOR_DATA_DIR,
      env,
      bin: join(out, 'bin/shiplog-collector.js'),
    });
    const url = collector.url;
    const token = await collector.token('acme', 'read');
    const page = await fetch(`${url}/search`);
    expect(await page.text()).toContain('/assets/app.js');
    const script = await fetch(`${url}/assets/page-search.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('export async function searchPage');
    const found = await fetch(`${url}/api/v1/search?q=${encodeURIComponent('"dist line 49999"')}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const answer = (await found.json()) as { total: number };
    expect(answer.total).toBe(1);
  }, 60_000);
});
