// vitest globalSetup for the "integration" project: starts the real services
// through the project's own script and tells the tests which ones are there.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export type ServiceName = 'docker' | 'rsyslog' | ElasticsearchNode;
/** The test Elasticsearch nodes (test/services/es-nodes.sh). */
export type ElasticsearchNode = 'elasticsearch' | 'elasticsearch-secure' | 'elasticsearch7';

export interface Services {
  docker: boolean;
  rsyslog: boolean;
  elasticsearch: boolean;
  'elasticsearch-secure': boolean;
  elasticsearch7: boolean;
  esUrl: string;
  /** URL and state directory of each node that started (the secure node's certificates are under <dir>/pki). */
  esNodes: Partial<Record<ElasticsearchNode, { url: string; dir: string }>>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: Services;
  }
}

// Installed one after the other (they share the dpkg lock), then the
// Elasticsearch nodes in one call, which starts them side by side.
const SERVICES: ServiceName[] = ['docker', 'rsyslog'];
const ES_NODES: ElasticsearchNode[] = ['elasticsearch', 'elasticsearch-secure', 'elasticsearch7'];
const scriptsDir = fileURLToPath(new URL('../services/', import.meta.url));
const stateDir = process.env.SHIPLOG_TEST_STATE ?? '/tmp/shiplog-test-services';

interface ScriptResult {
  code: number;
  stdout: string;
}

// Progress on stderr is passed through so a slow first download is visible.
function runScript(script: string, ...args: string[]): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`${scriptsDir}${script}`, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, SHIPLOG_TEST_STARTED_BY: 'test-run' },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout }));
  });
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services: Services = {
    docker: false,
    rsyslog: false,
    elasticsearch: false,
    'elasticsearch-secure': false,
    elasticsearch7: false,
    esUrl: `http://127.0.0.1:${process.env.SHIPLOG_TEST_ES_PORT ?? '9250'}`,
    esNodes: {},
  };
  const missing: ServiceName[] = [];

  // Several sessions share a machine and its one test Elasticsearch: the lease
  // (taken before up.sh, so no teardown can miss it) keeps another run's
  // teardown from stopping the node under this run's tests.
  const lease = `${stateDir}/leases/${process.pid}`;
  mkdirSync(`${stateDir}/leases`, { recursive: true });
  writeFileSync(lease, '');

  // One call per service, in turn: a failure must not hide the others, and
  // the package installs behind them share one dpkg lock anyway.
  const readyLines = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('ready '));
  for (const name of SERVICES) {
    const { stdout } = await runScript('up.sh', name);
    if (readyLines(stdout).some((line) => line.startsWith(`ready ${name} `))) services[name] = true;
    else missing.push(name);
  }
  // e.g. "ready elasticsearch started http://127.0.0.1:9250 /tmp/shiplog-test-services/elasticsearch-9250"
  const { stdout } = await runScript('up.sh', ...ES_NODES);
  for (const name of ES_NODES) {
    const ready = readyLines(stdout).find((line) => line.startsWith(`ready ${name} `));
    const [, , , url, dir] = ready?.split(' ') ?? [];
    if (!url || !dir) {
      missing.push(name);
      continue;
    }
    services[name] = true;
    services.esNodes[name] = { url, dir };
    if (name === 'elasticsearch') services.esUrl = url;
  }

  // The Elasticsearch nodes hold gigabytes of heap: each is stopped when a
  // test run started it and no other run still uses it; one started by hand
  // stays up. dockerd is cheap when idle and is left running.
  const teardown = async () => {
    rmSync(lease, { force: true });
    const started = ES_NODES.filter((name) => services[name]);
    if (started.length > 0) await runScript('down.sh', '--if-unused', ...started);
  };

  const logOf = (name: ServiceName) => `${stateDir}/${name}-up.log`;
  if (missing.length > 0) {
    if (process.env.CI === 'true') {
      await teardown();
      const which = missing.map((name) => `${name} (log: ${logOf(name)})`).join(', ');
      throw new Error(`CI=true and integration services failed to start: ${which}`);
    }
    for (const name of missing) {
      process.stderr.write(
        `[shiplog tests] SKIPPING integration tests that need ${name}: it did not start ` +
          `(log: ${logOf(name)}). Start it with: npm run services:up -- ${name}\n`,
      );
    }
  }

  project.provide('services', services);
  return teardown;
}
