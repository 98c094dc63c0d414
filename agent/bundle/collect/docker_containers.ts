// `docker inspect` of every container and a `docker ps -a` table. Runs before
// every other collector: the values of secret-looking environment variables
// of ALL containers (also those outside --containers: their secrets may be
// printed by another container or land in syslog) become literals of the
// engine for the whole run, so they are masked wherever they appear.
import type Dockerode from 'dockerode';
import { safeName } from '../staging.ts';
import { selectContainers } from './select.ts';
import type { Collector, ContainerFact } from './types.ts';

export const dockerContainers: Collector = {
  name: 'docker_containers',
  timeoutMs: 60_000,
  async collect(ctx) {
    const list = await ctx.docker.listContainers({ all: true, abortSignal: ctx.signal } as object);
    const inspected: Dockerode.ContainerInspectInfo[] = [];
    for (const entry of list) {
      try {
        inspected.push(await ctx.docker.getContainer(entry.Id).inspect({ abortSignal: ctx.signal } as object));
      } catch (error) {
        // Removed between list and inspect: nothing to report for it.
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
    }
    for (const info of inspected) ctx.redactor.addEnvironment(info.Config?.Env ?? []);
    const facts = inspected.map(containerFact);
    ctx.facts.containers = facts;
    const chosen = new Set(selectContainers(facts, ctx.containers).map((fact) => fact.id));
    for (const info of inspected) {
      if (!chosen.has(info.Id)) continue;
      await ctx.emit(`containers/${safeName(info.Name)}/inspect.json`, { json: withoutEnvValues(info) });
    }
    await ctx.emit('docker/ps.txt', psTable(facts.filter((fact) => chosen.has(fact.id))));
  },
};

/**
 * The inspect document with each environment value of a secret-looking name
 * replaced (the name stays: support needs to see that DB_PASSWORD is set).
 * Other values stay and pass through the engine's rules like any text.
 */
function withoutEnvValues(info: Dockerode.ContainerInspectInfo): unknown {
  const env = info.Config?.Env;
  if (!env) return info;
  return { ...info, Config: { ...info.Config, Env: env.map(maskIfSecret) } };
}

const SECRET_NAME = /pass|secret|token|key|credential|auth|private|cert|salt|session|cookie|dsn|conn/i;

function maskIfSecret(entry: string): string {
  const at = entry.indexOf('=');
  if (at < 0) return entry;
  const name = entry.slice(0, at);
  // The engine masks these too (they were added as literals); this also
  // covers values too short for the engine to search for.
  return SECRET_NAME.test(name) ? `${name}=[REDACTED]` : entry;
}

export function containerFact(info: Dockerode.ContainerInspectInfo): ContainerFact {
  const state = info.State;
  const exited = state.Status === 'exited' || state.Status === 'dead';
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config?.Image ?? info.Image,
    state: state.Status,
    exitCode: exited || state.ExitCode !== 0 ? state.ExitCode : undefined,
    oomKilled: state.OOMKilled === true,
    restartCount: info.RestartCount ?? 0,
    health: (state as { Health?: { Status?: string } }).Health?.Status,
    startedAt: usefulTime(state.StartedAt),
    finishedAt: usefulTime(state.FinishedAt),
  };
}

// Docker reports "never" as year 1.
function usefulTime(text: string | undefined): string | undefined {
  return text && !text.startsWith('0001-') ? text : undefined;
}

function psTable(facts: readonly ContainerFact[]): string {
  const header = ['CONTAINER ID', 'NAME', 'IMAGE', 'STATE', 'EXIT', 'RESTARTS', 'OOM', 'HEALTH', 'STARTED', 'FINISHED'];
  const rows = facts.map((f) => [
    f.id.slice(0, 12),
    f.name,
    f.image,
    f.state,
    f.exitCode === undefined ? '-' : String(f.exitCode),
    String(f.restartCount),
    f.oomKilled ? 'yes' : 'no',
    f.health ?? '-',
    f.startedAt ?? '-',
    f.finishedAt ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}
