// Runs write-child.ts as its own process and follows what it prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const script = join(import.meta.dirname, 'write-child.ts');

export interface Child {
  readonly process: ChildProcess;
  /** Resolves when the child printed a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code and signal, and everything it wrote on stderr. */
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; lines: string[] }>;
}

export function startWriter(
  dir: string,
  tenant: string,
  bundle: string,
  events: number,
  batchRows: number,
  mode: 'commit' | 'hold',
  prefix = bundle,
): Child {
  const child = spawn(
    process.execPath,
    [script, dir, tenant, bundle, String(events), String(batchRows), mode, prefix],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  let pending = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    process: child,
    waitFor(pattern) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        exited.then(([code, signal]) =>
          reject(new Error(`the writer exited (${code ?? signal}) before ${pattern}: ${stderr}`)),
        );
      });
    },
    async exit() {
      const [code, signal] = await exited;
      return { code, signal, stderr, lines };
    },
  };
}
