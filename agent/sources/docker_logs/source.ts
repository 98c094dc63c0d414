// The docker_logs source: discovery feeds one follower per selected
// container; followers report acknowledged positions, which are saved in one
// state record ("docker_logs") that maps container ids to checkpoints.
import type Dockerode from 'dockerode';
import { parseBytes } from '../../../core/units.ts';
import type { AgentConfig, MultilineConfig } from '../../../schemas/agent-config.ts';
import { ByteBudget, type ByteBudgetStats } from '../../pipeline/byte-budget.ts';
import type { Component, EventWriter, StateStore, Telemetry } from '../../pipeline/types.ts';
import type { ContainerCheckpoint } from './checkpoint.ts';
import { type ContainerEvent, Discovery } from './discovery.ts';
import {
  COMPONENT,
  ContainerFollower,
  DEFAULT_FOLLOWER_LIMITS,
  type FollowerLimits,
  type FollowerState,
} from './follower.ts';
import { mergeConfig } from './merging.ts';
import { type ContainerMetadata, globMatcher, MetadataBuilder } from './metadata.ts';
import type { NoticeListener } from './notices.ts';
import { SavedPositions } from './positions.ts';

/** The resolved `sources.docker` section of the agent configuration. */
export type DockerSourceConfig = AgentConfig['sources']['docker'];

export interface DockerSourceTuning extends FollowerLimits {
  /** How long a destroyed container's metadata and checkpoint are kept for late lines. */
  readonly forgetAfterMs: number;
  /** Stopped containers read at once when catching up. */
  readonly catchUpConcurrency: number;
  /** Minimum pause between two saves of the checkpoints. */
  readonly saveIntervalMs: number;
}

export const DEFAULT_TUNING: DockerSourceTuning = {
  ...DEFAULT_FOLLOWER_LIMITS,
  forgetAfterMs: 60_000,
  catchUpConcurrency: 4,
  saveIntervalMs: 250,
};

export interface DockerLogsSourceDeps {
  readonly docker: Dockerode;
  readonly writer: EventWriter;
  readonly state: StateStore;
  readonly telemetry: Telemetry;
  readonly config: DockerSourceConfig;
  readonly hostName: string;
  readonly onEvent?: NoticeListener;
  readonly tuning?: Partial<DockerSourceTuning>;
  /**
   * Bytes read from all containers and not yet spooled, at most; shared by
   * every follower. Absent: one of sources.docker.max_inflight_bytes.
   */
  readonly budget?: ByteBudget;
}

export interface DockerContainerStatus {
  readonly id: string;
  readonly name: string;
  readonly state: FollowerState | 'excluded';
  /** Lines handed on since the agent started. */
  readonly lines: number;
  /** Reading is held back: its in-flight window is full, or the budget all containers share is used up. */
  readonly paused?: boolean;
  /** Lines the engine rotated away unread while the agent was stopped: between these times. */
  readonly lost?: { readonly from: string; readonly to: string };
  readonly checkpoint?: ContainerCheckpoint;
}

export interface DockerSourceStatus {
  readonly enabled: boolean;
  readonly connected: boolean;
  readonly containers: readonly DockerContainerStatus[];
  /** The bytes in flight across all containers: used, limit, peak, streams paused on it. */
  readonly inflight: ByteBudgetStats;
}

interface Tracked {
  meta: ContainerMetadata;
  lost?: { from: string; to: string };
  follower?: ContainerFollower;
  forgetTimer?: NodeJS.Timeout;
}

export class DockerLogsSource implements Component {
  readonly #deps: DockerLogsSourceDeps;
  readonly #tuning: DockerSourceTuning;
  readonly #maxLineBytes: number;
  readonly #multiline: MultilineConfig | undefined;
  readonly #metadata: MetadataBuilder;
  readonly #selected: (meta: ContainerMetadata) => boolean;
  readonly #slot: () => Promise<() => void>;
  readonly #containers = new Map<string, Tracked>();
  readonly #positions: SavedPositions;
  readonly #budget: ByteBudget;
  #discovery: Discovery | undefined;
  #started = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #listedOnce = false;

  constructor(deps: DockerLogsSourceDeps) {
    this.#deps = deps;
    this.#tuning = { ...DEFAULT_TUNING, ...deps.tuning };
    this.#maxLineBytes = parseBytes(deps.config.max_line_bytes);
    // Compiled now, so a bad start_pattern fails at start-up.
    this.#multiline = mergeConfig(deps.config.multiline);
    this.#metadata = new MetadataBuilder(deps.config.labels);
    this.#selected = selection(deps.config.include, deps.config.exclude);
    this.#slot = semaphore(this.#tuning.catchUpConcurrency);
    this.#budget = deps.budget ?? new ByteBudget(parseBytes(deps.config.max_inflight_bytes));
    this.#positions = new SavedPositions(deps.state, this.#tuning.saveIntervalMs, (error) =>
      this.#notify({ type: 'checkpoint_save_failed', error }),
    );
  }

  async start(): Promise<void> {
    if (this.#started || this.#stopping || !this.#deps.config.enabled) return;
    this.#started = true;
    await this.#positions.load();
    if (this.#stopping) return;
    this.#discovery = new Discovery(
      this.#deps.docker,
      {
        listed: (containers) => this.#listed(containers),
        event: (event) => this.#event(event),
        unreachable: (error, retryInMs) => {
          this.#notify({ type: 'engine_unreachable', error, retryInMs });
          this.#gauges();
        },
      },
      { host: engineAddress(this.#deps.config.host), ...this.#tuning },
    );
    this.#discovery.start();
  }

  stop(deadlineMs = 5000): Promise<void> {
    this.#stopped ??= this.#stop(deadlineMs);
    return this.#stopped;
  }

  async #stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    const started = Date.now();
    await this.#discovery?.stop();
    const followers = [...this.#containers.values()].flatMap((t) => (t.follower ? [t.follower] : []));
    await Promise.all(followers.map((f) => f.stop(Math.max(0, deadlineMs - (Date.now() - started)))));
    for (const tracked of this.#containers.values()) clearTimeout(tracked.forgetTimer);
    await this.#positions.close();
  }

  status(): DockerSourceStatus {
    return {
      enabled: this.#deps.config.enabled,
      connected: this.#discovery?.connected ?? false,
      containers: [...this.#containers.entries()].map(([id, t]) => ({
        id,
        name: t.meta.name,
        state: t.follower?.state ?? 'excluded',
        lines: t.follower?.lines ?? 0,
        ...(t.follower?.paused ? { paused: true } : {}),
        ...(t.lost ? { lost: t.lost } : {}),
        ...(this.#positions.get(id) ? { checkpoint: this.#positions.get(id) } : {}),
      })),
      inflight: this.#budget.stats(),
    };
  }

  #listed(containers: readonly Dockerode.ContainerInfo[]): void {
    if (this.#stopping) return;
    const present = new Set<string>();
    for (const entry of containers) {
      present.add(entry.Id);
      const running = entry.State === 'running' || entry.State === 'paused';
      this.#track(entry.Id, this.#metadata.fromList(entry), running);
    }
    for (const [id, tracked] of this.#containers) {
      if (present.has(id)) {
        // After a reconnect, broken streams reopen now rather than at their next retry.
        if (tracked.follower?.state === 'retrying') tracked.follower.wake(false);
      } else {
        this.#destroyed(id);
      }
    }
    if (!this.#listedOnce) {
      this.#listedOnce = true;
      // Containers removed while the agent was down: their logs went with them.
      for (const id of this.#positions.ids()) if (!present.has(id)) this.#positions.delete(id);
    }
    this.#notify({ type: 'engine_connected', containers: containers.length });
    this.#gauges();
  }

  #event(event: ContainerEvent): void {
    if (this.#stopping) return;
    const tracked = this.#containers.get(event.id);
    switch (event.action) {
      case 'start':
      case 'restart':
      case 'unpause':
        if (tracked) {
          this.#track(event.id, tracked.meta, true);
        } else {
          this.#track(event.id, this.#metadata.fromEvent(event.id, event.attributes), true);
          this.#refine(event.id);
        }
        break;
      case 'rename':
        if (tracked && event.attributes.name) {
          tracked.meta = this.#metadata.renamed(tracked.meta, event.attributes.name);
          this.#track(event.id, tracked.meta, false);
        }
        break;
      case 'destroy':
        this.#destroyed(event.id);
        break;
      default:
        // die: the follower reads on to the end of the stream; pause: the stream just idles.
        break;
    }
  }

  /** Starts following a selected container, or updates and wakes its follower. */
  #track(id: string, meta: ContainerMetadata, running: boolean): void {
    let tracked = this.#containers.get(id);
    if (tracked?.forgetTimer) return; // destroyed: nothing new will come
    if (!tracked) {
      tracked = { meta };
      this.#containers.set(id, tracked);
    }
    tracked.meta = meta;
    const selected = this.#selected(meta);
    if (!selected) {
      if (tracked.follower) {
        const follower = tracked.follower;
        tracked.follower = undefined;
        void follower.stop(this.#tuning.forgetAfterMs);
      }
      return;
    }
    if (tracked.follower && tracked.follower.state !== 'closed') {
      if (running) tracked.follower.wake(true);
      return;
    }
    const entry = tracked;
    const checkpoint = this.#positions.get(id);
    tracked.follower = new ContainerFollower({
      id,
      docker: this.#deps.docker,
      writer: this.#deps.writer,
      telemetry: this.#deps.telemetry,
      hostName: this.#deps.hostName,
      maxLineBytes: this.#maxLineBytes,
      metadata: () => entry.meta,
      running,
      onCheckpoint: (value) => this.#positions.set(id, value),
      notify: (notice) => this.#notify(notice),
      slot: this.#slot,
      limits: this.#tuning,
      budget: this.#budget,
      ...(checkpoint ? { checkpoint } : {}),
      ...(this.#multiline ? { multiline: this.#multiline } : {}),
    });
    tracked.follower.start();
    this.#gauges();
  }

  /** Replaces metadata built from event attributes with the exact labels from inspect. */
  #refine(id: string): void {
    this.#deps.docker
      .getContainer(id)
      .inspect()
      .then(
        (info) => {
          const tracked = this.#containers.get(id);
          if (tracked && !this.#stopping) tracked.meta = this.#metadata.fromInspect(info);
        },
        () => {
          // Gone already: the event's attributes stay.
        },
      );
  }

  /** Keeps a destroyed container's metadata while its follower drains, then at least forgetAfterMs. */
  #destroyed(id: string): void {
    const tracked = this.#containers.get(id);
    if (!tracked || tracked.forgetTimer) return;
    // A follower waiting for a start event learns that none will come.
    tracked.follower?.wake(false);
    tracked.forgetTimer = setTimeout(() => {
      void (tracked.follower?.done ?? Promise.resolve()).then(() => this.#forget(id));
    }, this.#tuning.forgetAfterMs);
    tracked.forgetTimer.unref();
  }

  #forget(id: string): void {
    const tracked = this.#containers.get(id);
    if (!tracked || this.#stopping) return;
    this.#containers.delete(id);
    this.#positions.delete(id);
    this.#notify({ type: 'container_forgotten', containerId: id, name: tracked.meta.name });
    this.#gauges();
  }

  #gauges(): void {
    let followed = 0;
    for (const tracked of this.#containers.values()) if (tracked.follower?.state === 'streaming') followed++;
    this.#deps.telemetry.gauge(COMPONENT, 'containers_tracked', this.#containers.size);
    this.#deps.telemetry.gauge(COMPONENT, 'containers_streaming', followed);
    this.#deps.telemetry.gauge(COMPONENT, 'inflight_bytes_limit', this.#budget.limit);
  }

  #notify: NoticeListener = (notice) => {
    if (notice.type === 'rotated_away') {
      const tracked = this.#containers.get(notice.containerId);
      if (tracked) tracked.lost = { from: notice.from, to: notice.to };
    }
    if (
      notice.type === 'container_following' ||
      notice.type === 'container_drained' ||
      notice.type === 'stream_error'
    ) {
      this.#gauges();
    }
    try {
      this.#deps.onEvent?.(notice);
    } catch {
      // A listener's failure must not stop the source.
    }
  };
}

/** include/exclude: container names (globs) or ids (a prefix of at least 12 characters). */
export function selection(
  include: readonly string[],
  exclude: readonly string[],
): (meta: ContainerMetadata) => boolean {
  const matcher = (patterns: readonly string[]) => {
    const byName = globMatcher(patterns);
    const ids = patterns.filter((p) => /^[0-9a-f]{12,64}$/.test(p));
    return (meta: ContainerMetadata) => byName(meta.name) || ids.some((p) => meta.id.startsWith(p));
  };
  const included = matcher(include);
  const excluded = matcher(exclude);
  return (meta) => !excluded(meta) && (include.length === 0 || included(meta));
}

/** A counting semaphore: resolves with a release function once a slot is free. */
function semaphore(limit: number): () => Promise<() => void> {
  let active = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    active--;
    queue.shift()?.();
  };
  return () =>
    new Promise((resolve) => {
      const grant = () => {
        active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          release();
        });
      };
      if (active < Math.max(1, limit)) grant();
      else queue.push(grant);
    });
}

/** The engine address as an operator would write it, for messages. */
export function engineAddress(host: string | undefined): string {
  return host ?? process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}
