// Temporary directories that are removed when the test file finishes. The
// removal is registered when this module is first imported, while vitest
// collects the file: a hook registered later, from inside a test or another
// hook (where most tempDir calls happen), is not run, and every run of the
// suite left its collectors' data directories (gigabytes) behind in /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'shiplog-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
