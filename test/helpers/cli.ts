// Runs shiplog's binaries the way a user does, as separate processes.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '../..');
const localBin = join(repoRoot, 'node_modules/.bin');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs `command args` with node_modules/.bin first on PATH, as npx does. */
export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, PATH: `${localBin}:${process.env.PATH ?? ''}`, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() }),
    );
    child.stdin.end(options.input ?? '');
  });
}

const node = join(localBin, 'node');

/** `shiplog ...`: the package's bin on the project's Node 24, as `npx shiplog` runs it. */
export const shiplog = (args: string[], options?: RunOptions) =>
  runCommand(node, [join(repoRoot, 'bin/shiplog.js'), ...args], options);

/** `shiplog-collector ...`, likewise. */
export const shiplogCollector = (args: string[], options?: RunOptions) =>
  runCommand(node, [join(repoRoot, 'bin/shiplog-collector.js'), ...args], options);
