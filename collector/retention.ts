// Retention: each tenant keeps its bundles for its own number of days (set by
// its admin) or the collector's `retention` setting; older bundles are
// deleted whole (index entries, unpacked files, the blob when no other
// bundle shares it) and each deletion is audited. `serve` sweeps at start
// and then hourly.
import { parseDuration } from '../core/units.ts';
import { recordAudit } from './access/audit.ts';
import { cliActor } from './access/principal.ts';
import { listTenants } from './access/tenants.ts';
import { deleteBundle } from './http/routes/bundles.ts';
import type { CollectorService } from './service.ts';
import type { BundleRow } from './store/bundles.ts';

const dayMs = 86_400_000;

/** Deletes every bundle past its tenant's retention; returns how many. */
export async function sweepRetention(service: CollectorService, now = new Date()): Promise<number> {
  const defaultMs = parseDuration(service.setup.config.retention);
  let deleted = 0;
  for (const tenant of listTenants(service.control)) {
    const keepMs = tenant.retentionDays === null ? defaultMs : tenant.retentionDays * dayMs;
    const cutoff = new Date(now.getTime() - keepMs).toISOString();
    const old = service.control
      .prepare(`SELECT * FROM bundles WHERE tenant = ? AND status != 'deleted' AND received_at < ?`)
      .all(tenant.name, cutoff) as unknown as BundleRow[];
    for (const row of old) {
      await deleteBundle(service, row);
      recordAudit(service.control, {
        actor: cliActor('retention'),
        tenant: tenant.name,
        action: 'delete',
        target: row.id,
        detail: { reason: 'retention', received_at: row.received_at },
      });
      deleted++;
    }
  }
  return deleted;
}

/** Runs the sweep now and every hour until the returned stop() is called. */
export function startRetention(service: CollectorService, onError: (error: unknown) => void): () => void {
  const run = () => sweepRetention(service).catch(onError);
  void run();
  const timer = setInterval(run, 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
