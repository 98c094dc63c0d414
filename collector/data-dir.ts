// Where the collector keeps blobs, unpacked bundles, its control database and
// the per-tenant indexes: SHIPLOG_COLLECTOR_DATA_DIR, else data_dir from the
// config, else /var/lib/shiplog-collector as root, else
// ~/.local/share/shiplog-collector.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function resolveCollectorDataDir(env: NodeJS.ProcessEnv = process.env, configured?: string): string {
  const fromEnv = env.SHIPLOG_COLLECTOR_DATA_DIR;
  if (fromEnv) return fromEnv;
  if (configured) return configured;
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/lib/shiplog-collector';
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'shiplog-collector');
}

/** The fixed layout under the data directory; every path the collector writes is one of these. */
export function collectorPaths(dataDir: string) {
  return {
    root: dataDir,
    /** control.db: tenants, tokens, bundles, jobs, site keys, audit log. */
    control: join(dataDir, 'control.db'),
    /** Content-addressed bundle files: blobs/sha256/ab/abcdef... */
    blobs: join(dataDir, 'blobs'),
    /** Rejected bundles kept for inspection. */
    quarantine: join(dataDir, 'quarantine'),
    /** Uploads still arriving (plain bodies and tus). */
    incoming: join(dataDir, 'incoming'),
    /** Unpacked bundles: unpacked/<tenant>/<bundle id>/... */
    unpacked: join(dataDir, 'unpacked'),
    /** SQLite indexes: index/<tenant>.db, one per tenant. */
    index: join(dataDir, 'index'),
    /** The collector's own signing key (receipts). */
    keys: join(dataDir, 'keys'),
  };
}

export type CollectorPaths = ReturnType<typeof collectorPaths>;
