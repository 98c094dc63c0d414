import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the agent keeps its spool, checkpoints and keys: SHIPLOG_DATA_DIR,
 * else /var/lib/shiplog as root, else ~/.local/share/shiplog.
 */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env, configured?: string): string {
  const fromEnv = env.SHIPLOG_DATA_DIR;
  if (fromEnv) return fromEnv;
  if (configured) return configured;
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/lib/shiplog';
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'shiplog');
}
