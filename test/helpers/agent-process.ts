// Runs `shiplog agent` as its own process, as an operator would, so tests can
// SIGTERM it, kill -9 it and start it again on the same data directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './cli.ts';

export interface AgentProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code or signal name. */
  readonly exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): Promise<number | string>;
}

export function startAgentProcess(env: NodeJS.ProcessEnv, logFile: string, args: string[] = []): AgentProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(join(repoRoot, 'node_modules/.bin/node'), [join(repoRoot, 'bin/shiplog.js'), 'agent', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? code ?? 0));
  });
  return {
    child,
    exited,
    async kill(signal) {
      child.kill(signal);
      return exited;
    },
  };
}
