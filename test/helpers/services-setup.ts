// vitest globalSetup for the "integration" project: starts the real services
// through the project's own script and tells the tests which ones are there.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

export type ServiceName = 'docker' | 'rsyslog' | 'elasticsearch';

export interface Services {
  docker: boolean;
  rsyslog: boolean;
  elasticsearch: boolean;
  esUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: Services;
  }
}

const SERVICES: ServiceName[] = ['docker', 'rsyslog', 'elasticsearch'];
const scriptsDir = fileURLToPath(new URL('../services/', import.meta.url));
const stateDir = process.env.SHIPLOG_TEST_STATE ?? '/tmp/shiplog-test-services';

interface ScriptResult {
  code: number;
  stdout: string;
}

// Progress on stderr is passed through so a slow first download is visible.
function runScript(script: string, arg: string): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [`${scriptsDir}${script}`, arg], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    esUrl: `http://127.0.0.1:${process.env.SHIPLOG_TEST_ES_PORT ?? '9250'}`,
  };
  const missing: ServiceName[] = [];
  let startedEs = false;

  // One call per service, in turn: a failure must not hide the others, and
  // the package installs behind them share one dpkg lock anyway.
  for (const name of SERVICES) {
    const { code, stdout } = await runScript('up.sh', name);
    // e.g. "ready elasticsearch started http://127.0.0.1:9250"
    const ready = stdout.split('\n').find((line) => line.startsWith(`ready ${name} `));
    if (code !== 0 || !ready) {
      missing.push(name);
      continue;
    }
    services[name] = true;
    const [, , how, url] = ready.split(' ');
    if (name === 'elasticsearch') {
      startedEs = how === 'started';
      if (url) services.esUrl = url;
    }
  }

  if (missing.length > 0) {
    if (process.env.CI === 'true') {
      throw new Error(`integration services failed to start: ${missing.join(', ')} (logs under ${stateDir})`);
    }
    for (const name of missing) {
      process.stderr.write(
        `[shiplog tests] SKIPPING integration tests that need ${name}: it did not start ` +
          `(log: ${stateDir}/${name}-up.log). Start it with: npm run services:up -- ${name}\n`,
      );
    }
  }

  project.provide('services', services);

  // Elasticsearch holds a gigabyte of heap: stop it unless it was already
  // running for someone else. dockerd is cheap idle and slow to re-check.
  return async () => {
    if (startedEs) await runScript('down.sh', 'elasticsearch');
  };
}
