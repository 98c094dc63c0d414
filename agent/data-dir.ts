import { mkdirSync } from 'node:fs';
import { CodedError } from '../core/coded-error.ts';
import { resolveDataDir } from '../core/data-dir.ts';
import { agentErrors } from './errors.ts';

/** The data directory (SHIPLOG_DATA_DIR, data_dir, or the default), created 0700 if absent. */
export function prepareDataDir(env: NodeJS.ProcessEnv, configured?: string): string {
  const dir = resolveDataDir(env, configured);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CodedError(agentErrors.DATA_DIR_UNUSABLE, {
      path: dir,
      detail: (error as NodeJS.ErrnoException).code ?? String(error),
    });
  }
  return dir;
}
