// Doubles and runners for the docker_logs source tests: an EventWriter that
// collects events and can hold acknowledgements back, an in-memory
// StateStore that records every save, counting telemetry, and a helper that
// starts labelled busybox containers.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import type { DropReason, EventWriter, LogEvent, StateStore, Telemetry } from '../../agent/pipeline/types.ts';
import type { DockerSourceConfig } from '../../agent/sources/docker_logs/index.ts';
import { demuxLogs, docker, linesByStream, TEST_IMAGE, TEST_LABELS } from './docker.ts';

/**
 * A name prefix unique to one test file. Sources under test follow only
 * containers named with it, so containers of other tests on the same engine
 * neither slow them down nor show up in their output.
 */
export function uniquePrefix(): string {
  return `shiplog-dl-${randomBytes(3).toString('hex')}-`;
}

/** A resolved sources.docker section that follows the containers named `prefix*`. */
export function sourceConfig(prefix: string, overrides: Partial<DockerSourceConfig> = {}): DockerSourceConfig {
  return {
    enabled: true,
    include: [`${prefix}*`],
    exclude: [],
    labels: ['com.docker.compose.*', 'org.opencontainers.image.*', 'test.*'],
    max_line_bytes: '1MiB',
    max_inflight_bytes: '16MiB',
    multiline: { mode: 'off', flush_after: '2s', max_lines: 500, max_bytes: '1MiB' },
    ...overrides,
  };
}

/** Collects what the source writes; `hold()` keeps write() from resolving until `release()`. */
export class CollectingWriter implements EventWriter {
  readonly events: LogEvent[] = [];
  /** Events handed to write() whose promise has resolved. */
  acknowledged = 0;
  writes = 0;
  #held: Array<() => void> | undefined;

  /** Records are decoded, so tests see the events the spool would hold. */
  writeRecords(records: readonly string[], signal?: AbortSignal): Promise<void> {
    return this.write(
      records.map((record) => JSON.parse(record) as LogEvent),
      signal,
    );
  }

  write(events: readonly LogEvent[], signal?: AbortSignal): Promise<void> {
    this.writes++;
    this.events.push(...events);
    if (!this.#held) {
      this.acknowledged += events.length;
      return Promise.resolve();
    }
    const held = this.#held;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal?.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      held.push(() => {
        signal?.removeEventListener('abort', onAbort);
        this.acknowledged += events.length;
        resolve();
      });
    });
  }

  /** From now on, write() resolves only when released. */
  hold(): void {
    this.#held ??= [];
  }

  /** Acknowledges everything held and stops holding. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const resolve of held) resolve();
  }

  /** Events of one container, optionally of one stream, in arrival order. */
  of(containerId: string, stream?: 'stdout' | 'stderr'): LogEvent[] {
    return this.events.filter(
      (e) => e.container?.id === containerId && (stream === undefined || e.log?.stream === stream),
    );
  }

  messages(containerId: string, stream?: 'stdout' | 'stderr'): string[] {
    return this.of(containerId, stream).map((e) => e.message);
  }
}

/** A StateStore in memory that keeps every saved value as JSON, as a file store would. */
export class MemoryStateStore implements StateStore {
  readonly saved: Array<{ name: string; value: unknown }> = [];
  readonly #values = new Map<string, string>();

  async load<T>(name: string): Promise<T | undefined> {
    const text = this.#values.get(name);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  async save(name: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    this.#values.set(name, text);
    this.saved.push({ name, value: JSON.parse(text) });
  }
}

export class CountingTelemetry implements Telemetry {
  received = 0;
  readonly dropped = new Map<DropReason, number>();
  readonly gauges = new Map<string, number>();

  eventsReceived(_component: string, count: number): void {
    this.received += count;
  }
  eventsSent(): void {}
  eventsDropped(_component: string, reason: DropReason, count: number): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + count);
  }
  gauge(component: string, name: string, value: number): void {
    this.gauges.set(`${component}.${name}`, value);
  }
}

/** Polls until `check` returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface StartOptions {
  name?: string;
  tty?: boolean;
  labels?: Record<string, string>;
  logDriver?: string;
  binds?: string[];
  autoRemove?: boolean;
  restart?: 'no' | 'always' | 'unless-stopped';
}

const started: Dockerode.Container[] = [];

/** Removes the containers this file started (not other tests' ones, which may still be running). */
export async function removeStartedContainers(): Promise<void> {
  await Promise.all(
    started.splice(0).map((c) =>
      c.remove({ force: true }).catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
      }),
    ),
  );
}

/** Creates and starts a busybox container running `script` with sh, without network, labelled for cleanup. */
export async function startContainer(script: string, options: StartOptions = {}): Promise<Dockerode.Container> {
  const container = await docker().createContainer({
    ...(options.name ? { name: options.name } : {}),
    Image: TEST_IMAGE,
    Cmd: ['/bin/sh', '-c', script],
    Tty: options.tty ?? false,
    Labels: { ...options.labels, ...TEST_LABELS },
    StopTimeout: 2,
    HostConfig: {
      NetworkMode: 'none',
      AutoRemove: options.autoRemove ?? false,
      ...(options.binds ? { Binds: options.binds } : {}),
      ...(options.logDriver ? { LogConfig: { Type: options.logDriver, Config: {} } } : {}),
      ...(options.restart ? { RestartPolicy: { Name: options.restart } } : {}),
    },
  });
  started.push(container);
  await container.start();
  return container;
}

/** Waits for a container to exit (it may have exited already). */
export async function waitExit(container: Dockerode.Container): Promise<void> {
  try {
    await container.wait();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
  }
}

/** Every line the engine itself holds for a (non-TTY, short-lined) container: the truth to compare with. */
export async function engineLines(container: Dockerode.Container): Promise<{ stdout: string[]; stderr: string[] }> {
  const raw = await container.logs({ stdout: true, stderr: true, follow: false });
  return linesByStream(demuxLogs(raw));
}

const servicesDir = fileURLToPath(new URL('../services/', import.meta.url));
const stateDir = process.env.SHIPLOG_TEST_STATE ?? '/tmp/shiplog-test-services';

/**
 * True when test/services/up.sh started the dockerd these tests use, so that
 * down.sh can stop it; SHIPLOG_TEST_NO_DOCKERD_RESTART=1 turns the restart
 * tests off on a shared machine.
 */
export function canRestartDockerd(): boolean {
  if (process.env.SHIPLOG_TEST_NO_DOCKERD_RESTART === '1') return false;
  const ours = startedByUs();
  // Under CI the restart test must run, never be skipped quietly.
  if (!ours && process.env.CI === 'true') {
    throw new Error('dockerd was not started by test/services/up.sh, so the dockerd-restart test cannot run under CI');
  }
  return ours;
}

function startedByUs(): boolean {
  const pidfile = `${stateDir}/dockerd.pid`;
  if (!existsSync(pidfile)) return false;
  const pid = readFileSync(pidfile, 'utf8').trim();
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dockerd');
  } catch {
    return false;
  }
}

/** Stops dockerd with test/services/down.sh, runs `whileDown`, then starts it again with up.sh. */
export async function restartDockerd(whileDown: () => Promise<void> = async () => {}): Promise<void> {
  const run = promisify(execFile);
  await run('bash', [`${servicesDir}down.sh`, 'docker'], { timeout: 60_000 });
  await whileDown();
  const { stdout } = await run('bash', [`${servicesDir}up.sh`, 'docker'], { timeout: 120_000 });
  if (!stdout.includes('ready docker')) throw new Error(`up.sh docker did not report ready: ${stdout}`);
}
