// Shared plumbing for `npm run bench`: run a whole process under
// /usr/bin/time and read back wall seconds, CPU seconds and peak RSS.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProcessMeasure {
  wall_s: number;
  cpu_s: number;
  peak_rss_mb: number;
  exit_code: number;
}

export interface BenchRow {
  suite: string;
  subject: string;
  /** Amount of work, in `unit` (e.g. MB or lines). */
  work: number;
  unit: string;
  wall_s: number;
  cpu_s: number;
  peak_rss_mb: number;
  /** work / wall_s */
  rate: number;
  /** The goal from the issue, in unit/s, when there is one. */
  goal?: number;
  note?: string;
}

export interface BenchContext {
  /** Scratch directory for generated inputs and outputs. */
  workDir: string;
  /** Smaller inputs, for a smoke run of the benchmark code itself. */
  quick: boolean;
}

export interface BenchSuite {
  name: string;
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

export interface MeasureOptions {
  stdinFile?: string;
  stdoutFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs `command args...` under GNU time and returns what it measured. */
export async function measureProcess(
  command: string,
  args: string[],
  options: MeasureOptions = {},
): Promise<ProcessMeasure> {
  const timeFile = join(tmpdir(), `shiplog-bench-time-${process.pid}-${Date.now()}`);
  const stdin = options.stdinFile ? openSync(options.stdinFile, 'r') : 'ignore';
  const stdout = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'ignore';
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      const child = spawn('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', command, ...args], {
        stdio: [stdin, stdout, 'inherit'],
        env: options.env ?? process.env,
        cwd: options.cwd,
      });
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    });
    const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
    const [wall, user, sys, rssKb] = (lines.at(-1) ?? '').split(' ').map(Number);
    return {
      wall_s: wall ?? Number.NaN,
      cpu_s: (user ?? 0) + (sys ?? 0),
      peak_rss_mb: (rssKb ?? 0) / 1024,
      exit_code: exitCode,
    };
  } finally {
    if (typeof stdin === 'number') closeSync(stdin);
    if (typeof stdout === 'number') closeSync(stdout);
    rmSync(timeFile, { force: true });
  }
}

export function row(
  suite: string,
  subject: string,
  work: number,
  unit: string,
  measure: ProcessMeasure,
  extra: Partial<BenchRow> = {},
): BenchRow {
  return {
    suite,
    subject,
    work,
    unit,
    wall_s: measure.wall_s,
    cpu_s: measure.cpu_s,
    peak_rss_mb: Math.round(measure.peak_rss_mb * 10) / 10,
    rate: Math.round((work / measure.wall_s) * 10) / 10,
    ...extra,
  };
}

/** Starts a test service (and installs it if absent) through the project's own script. */
export function ensureService(name: 'docker' | 'elasticsearch' | 'rsyslog'): void {
  execFileSync('bash', [join(import.meta.dirname, '../test/services/up.sh'), name], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Installs the peer tools the benchmarks compare against (rsyslog and its Elasticsearch output). */
export function ensurePeers(): void {
  execFileSync('bash', [join(import.meta.dirname, 'peers.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * The environment to run bin/shiplog.js as a user does (`npx shiplog`): the
 * bin is started through its shebang, which carries V8 flags, with the
 * project's Node 24 first on PATH.
 */
export function asUser(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PATH: `${join(import.meta.dirname, '..', 'node_modules', '.bin')}:${env.PATH ?? ''}` };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs the docker CLI; its stdout, or an error with its stderr. */
export function docker(args: string[]): string {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** CPU seconds (user + system) a process has used so far, or undefined when it is gone. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

/** A memory figure of a running process from /proc/PID/status in MB (VmRSS now, VmHWM its peak). */
export function memoryMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
