// The offline install kit for tests and benchmarks that install it on this
// machine as root (test/integration/packaging/, bench/kit.bench.ts):
// building it with `npm run kit`'s script, unpacking it, asking dpkg what is
// installed, and the host's shiplog paths set aside before and put back
// after, so that a run starts from a host that never had shiplog and leaves
// the host as it found it. No vitest here: the benchmark imports it too.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './cli.ts';

/**
 * Runs a command with no standard input (many of these exit at once, before
 * an input could be written) and node_modules/.bin first on the PATH; with
 * `onlyEnv`, in exactly that environment instead.
 */
export function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; onlyEnv?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = options.onlyEnv ?? {
    ...process.env,
    PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}`,
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs a command and answers stdout; throws with its output when it fails. */
export async function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await runCommand(command, args, { env });
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')}: ${result.code}\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** `npm run kit -- --out OUT [--version V]`: the kit tarball's path (its last line of output). */
export async function buildKit(out: string, version?: string): Promise<string> {
  const args = [join(repoRoot, 'packaging/kit.ts'), '--out', out, ...(version ? ['--version', version] : [])];
  const result = await runCommand(join(repoRoot, 'node_modules/.bin/node'), args);
  if (result.code !== 0) throw new Error(`npm run kit failed:\n${result.stderr}`);
  return result.stdout.trim().split('\n').at(-1) as string;
}

/** Unpacks a kit tarball into `dir` (empty); answers the kit's directory. */
export function unpackKit(tarball: string, dir: string): string {
  execFileSync('tar', ['-C', dir, '-xf', tarball]);
  const [name] = readdirSync(dir);
  return join(dir, name as string);
}

/** A dpkg-query --showformat field, `${Name}`. */
export const dpkgField = (name: string) => `\${${name}}`;

/** `installed 0.1.0-1` while the package is installed; else something else or nothing. */
export const installedVersion = () =>
  runCommand('dpkg-query', ['-W', '-f', `${dpkgField('db:Status-Status')} ${dpkgField('Version')}`, 'shiplog']).then(
    (r) => (r.code === 0 ? r.stdout : ''),
  );

/** Every path outside the package that installing, running and removing it writes. */
const hostPaths = [
  '/etc/shiplog',
  '/var/lib/shiplog',
  '/var/cache/shiplog',
  '/var/lib/shiplog-collector',
  '/var/cache/shiplog-collector',
  '/var/lib/shiplog-kit',
];
/** Where the runbook's bundles, receipts and backups go. */
const runbookFiles = /^shiplog-(?:bundle\.tar\.gz.*|agent-backup\.tar\.gz|collector-backup\.tar\.gz)$/;
/** What the runbook's restores move aside. */
const movedAside = /^shiplog(?:-collector)?\.before-restore-/;

// Same file system as the paths, so that they move by rename.
const aside = `/var/lib/shiplog-test-aside-${process.pid}`;
let setAside = false;

/**
 * Moves what this machine already holds at shiplog's paths (other test
 * runs, as root, use /var/lib/shiplog) out of the way, so the install meets
 * a host that never had shiplog. putHostBack() returns it.
 */
export function setHostAside(): void {
  mkdirSync(aside, { recursive: true });
  setAside = true;
  for (const path of hostPaths) {
    if (existsSync(path)) renameSync(path, join(aside, path.replaceAll('/', '_')));
  }
}

/**
 * Purges the package and removes everything it and the runbook left: paths,
 * files, the service users. Only after setHostAside(): before it, those paths
 * hold what others keep there.
 */
export async function removeShiplogFromHost(): Promise<void> {
  if (!setAside) return;
  await runCommand('dpkg', ['--purge', 'shiplog']);
  for (const path of hostPaths) rmSync(path, { recursive: true, force: true });
  for (const name of readdirSync('/var/tmp')) if (runbookFiles.test(name)) rmSync(join('/var/tmp', name));
  for (const name of readdirSync('/var/lib')) {
    if (movedAside.test(name)) rmSync(join('/var/lib', name), { recursive: true, force: true });
  }
  for (const user of ['shiplog', 'shiplog-collector']) {
    await runCommand('userdel', [user]);
    await runCommand('groupdel', [user]);
  }
}

/** Puts back what setHostAside() moved, in place of whatever is there now. */
export function putHostBack(): void {
  if (!setAside) return;
  setAside = false;
  for (const path of hostPaths) {
    const kept = join(aside, path.replaceAll('/', '_'));
    if (!existsSync(kept)) continue;
    rmSync(path, { recursive: true, force: true });
    renameSync(kept, path);
  }
  rmSync(aside, { recursive: true, force: true });
}
