// The agent's spool holds the logs of containers that no longer exist, which
// `docker logs` cannot give. One file per such container,
// `spool/containers/<name>-<id12>/container.log`, in the container_logs format.
//
// The spool is read through a read-only view (Spool.openReadOnly): no lock,
// no recovery, no retention, nothing written. So it works the same whether an
// agent is running (holding the lock and appending) or not, and taking a
// bundle can never change the spool. Segments the running agent deletes
// meanwhile, and damage skipped, are listed in spool/read-notes.txt.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatContainerLine } from '../../../bundle/container-log.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { resolveDataDir } from '../../../core/data-dir.ts';
import { agentErrors } from '../../errors.ts';
import { Spool, scanEvents } from '../../spool/index.ts';
import { safeName } from '../staging.ts';
import { matches } from './select.ts';
import type { Collector, LineWriter } from './types.ts';

export const agentSpool: Collector = {
  name: 'agent_spool',
  timeoutMs: 5 * 60_000,
  async collect(ctx) {
    const dataDir = resolveDataDir(ctx.env, ctx.config.data_dir);
    if (!existsSync(join(dataDir, 'spool'))) {
      throw skipped(ctx.collector, `no agent has run with the data directory ${dataDir} (it has no spool)`);
    }
    if (!ctx.facts.containers) {
      throw skipped(ctx.collector, 'Docker could not be asked which containers still exist');
    }
    const present = new Set(ctx.facts.containers.map((c) => c.id));
    const spool = await Spool.openReadOnly({ dataDir });
    const writers = new Map<string, LineWriter>();
    try {
      for await (const { event } of scanEvents(spool, ctx.window)) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        const container = event.container;
        if (!container || present.has(container.id)) continue;
        const name = container.name ?? container.id.slice(0, 12);
        if (ctx.containers.length > 0 && !ctx.containers.some((want) => matches({ id: container.id, name }, want))) {
          continue;
        }
        let out = writers.get(container.id);
        if (!out) {
          out = ctx.open(`spool/containers/${safeName(name)}-${safeName(container.id.slice(0, 12))}/container.log`);
          writers.set(container.id, out);
        }
        await out.write(formatContainerLine(event['@timestamp'], event.log?.stream ?? 'stdout', event.message));
      }
      for (const out of writers.values()) await out.close();
      const { warnings, missingSegments, corruptions } = spool.stats();
      if (warnings.length > 0) {
        await ctx.emit('spool/read-notes.txt', [
          `segments deleted by the running agent while reading: ${missingSegments}`,
          `damaged places skipped: ${corruptions}`,
          ...warnings,
        ]);
      }
    } catch (error) {
      await Promise.all([...writers.values()].map((out) => out.abort()));
      throw error;
    } finally {
      await spool.close();
    }
  },
};

export function skipped(collector: string, detail: string): CodedError {
  return new CodedError(agentErrors.COLLECTOR_SKIPPED, { collector, detail });
}
