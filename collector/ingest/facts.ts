// The structured documents of a bundle, stored with it in control.db: the
// host's facts (host/host.json), the engine (docker/info.json,
// docker/version.json, docker/images.json) and one summary per container
// from its inspect.json (image, state, exit code, restarts, OOM-killed,
// health), the shape the bundle and site pages and the analyzers read. Any
// file may be missing or malformed (a collector failed): its part is absent.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerFacts } from '../../schemas/collector-api.ts';

export type { ContainerFacts };

export interface BundleFacts {
  readonly host?: unknown;
  readonly engine?: { readonly info?: unknown; readonly version?: unknown; readonly images?: unknown };
  readonly containers: readonly ContainerFacts[];
  /** The host's IANA time zone, when host.json names it. */
  readonly timezone?: string;
}

const maxFactBytes = 4 * 1024 * 1024;

export async function readFacts(dir: string): Promise<BundleFacts> {
  const host = await json(join(dir, 'host', 'host.json'));
  const [info, version, images] = await Promise.all([
    json(join(dir, 'docker', 'info.json')),
    json(join(dir, 'docker', 'version.json')),
    json(join(dir, 'docker', 'images.json')),
  ]);
  const containers: ContainerFacts[] = [];
  const names = await readdir(join(dir, 'containers')).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const inspect = await json(join(dir, 'containers', name, 'inspect.json'));
    if (inspect && typeof inspect === 'object') containers.push(containerFacts(name, inspect as Inspect));
  }
  const timezone = (host as { clock?: { timezone?: unknown } } | undefined)?.clock?.timezone;
  return {
    ...(host !== undefined && { host }),
    engine: { info, version, images },
    containers,
    ...(typeof timezone === 'string' && /^[A-Za-z0-9_+\-/]+$/.test(timezone) && { timezone }),
  };
}

interface Inspect {
  Id?: unknown;
  Name?: unknown;
  RestartCount?: unknown;
  Config?: { Image?: unknown };
  State?: {
    Status?: unknown;
    ExitCode?: unknown;
    OOMKilled?: unknown;
    StartedAt?: unknown;
    FinishedAt?: unknown;
    Health?: { Status?: unknown };
  };
}

function containerFacts(dirName: string, inspect: Inspect): ContainerFacts {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  const state = inspect.State ?? {};
  const facts: Record<string, unknown> = {
    name: text(inspect.Name)?.replace(/^\//, '') ?? dirName,
    id: text(inspect.Id),
    image: text(inspect.Config?.Image),
    state: text(state.Status),
    exit_code: number(state.ExitCode),
    restart_count: number(inspect.RestartCount),
    oom_killed: typeof state.OOMKilled === 'boolean' ? state.OOMKilled : undefined,
    health: text(state.Health?.Status),
    started_at: text(state.StartedAt),
    finished_at: text(state.FinishedAt),
  };
  for (const key of Object.keys(facts)) if (facts[key] === undefined) delete facts[key];
  return facts as unknown as ContainerFacts;
}

async function json(path: string): Promise<unknown> {
  try {
    const text = await readFile(path, 'utf8');
    return text.length > maxFactBytes ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
