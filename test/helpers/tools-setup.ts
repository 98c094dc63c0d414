// vitest globalSetup for the "unit" and "e2e" projects: the command-line tools
// some of their tests open bundles with (age, ssh-keygen, zstd) are installed
// by the project's own script, so a fresh machine needs no manual step.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function setup(): void {
  const script = fileURLToPath(new URL('../services/up.sh', import.meta.url));
  const result = spawnSync('bash', [script, 'tools'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`test/services/up.sh tools failed (exit ${result.status})`);
}
