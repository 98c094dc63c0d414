// A real `shiplog-collector serve` for tests: its own data directory, a
// free port, the first admin token it prints, and helpers to make tokens and
// call the API as a client would.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { repoRoot, shiplogCollector } from './cli.ts';
import { tempDir } from './temp.ts';

export interface RunningCollector {
  readonly url: string;
  readonly dataDir: string;
  readonly adminToken: string;
  readonly env: NodeJS.ProcessEnv;
  readonly process: ChildProcess;
  /** Output so far (stderr), for messages. */
  log(): string;
  /** `shiplog-collector token create ...`: the token (the last stdout line). */
  token(tenant: string, role: 'upload' | 'read' | 'admin', extra?: string[]): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

// Every collector a test file started is stopped when the file ends, also one a timed-out test never stopped.
const started = new Set<ChildProcess>();
let registered = false;

export async function startCollector(
  options: {
    dataDir?: string;
    env?: NodeJS.ProcessEnv;
    /** Another build's bin (dist/bin/shiplog-collector.js); the checkout's by default. */
    bin?: string;
  } = {},
): Promise<RunningCollector> {
  const dataDir = options.dataDir ?? tempDir('shiplog-collector-');
  const env = { ...process.env, SHIPLOG_COLLECTOR_DATA_DIR: dataDir, ...options.env };
  const child = spawn(
    join(repoRoot, 'node_modules/.bin/node'),
    [options.bin ?? join(repoRoot, 'bin/shiplog-collector.js'), 'serve', '--port', '0', '--host', '127.0.0.1'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (!registered) {
    registered = true;
    afterAll(() => {
      for (const process of started)
        if (process.exitCode === null && process.signalCode === null) process.kill('SIGKILL');
    });
  }
  started.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = /serving on (https?:\/\/[^/\s]+)\//.exec(stderr);
      if (match) {
        clearInterval(timer);
        resolve(match[1] as string);
      }
    }, 25);
    exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`shiplog-collector serve exited with ${code} before listening:\n${stderr}`));
    });
  });
  // The first admin token is printed on its own stdout line right after the URL, when the data directory
  // was new; the portal's JSON request log shares stdout.
  const firstToken = () => /^slc_\S+$/m.exec(stdout)?.[0];
  const deadline = Date.now() + 10_000;
  while (!firstToken() && Date.now() < deadline && options.dataDir === undefined) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const adminToken = firstToken() ?? '';
  return {
    url,
    dataDir,
    adminToken,
    env,
    process: child,
    log: () => stderr,
    async token(tenant, role, extra = []) {
      const result = await shiplogCollector(['token', 'create', '--tenant', tenant, '--role', role, ...extra], { env });
      if (result.code !== 0) throw new Error(`token create failed: ${result.stderr}${result.stdout}`);
      return result.stdout.trim().split('\n').at(-1) as string;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/** fetch() against the collector with a Bearer token; JSON answers parsed. */
export async function api(
  collector: { url: string },
  token: string | undefined,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> & { error?: { code: string; message: string } } }> {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(`${collector.url}${path}`, { ...init, headers });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { text };
  }
  return { status: response.status, body };
}

/** Polls a bundle until its status is final (indexed, rejected, quarantined). */
export async function waitForBundle(
  collector: { url: string },
  token: string,
  id: string,
  timeoutMs = 60_000,
): Promise<Record<string, unknown> & { status: string; error?: { code: string; message: string } }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await api(collector, token, `/api/v1/bundles/${id}`);
    if (status !== 200) throw new Error(`GET bundle ${id}: ${status} ${JSON.stringify(body)}`);
    const state = body.status as string;
    if (state === 'indexed' || state === 'rejected' || state === 'quarantined') {
      return body as Record<string, unknown> & { status: string };
    }
    if (Date.now() > deadline) throw new Error(`bundle ${id} still ${state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
