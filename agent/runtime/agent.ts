// Assembles and runs the agent: checkpoint store, spool, sinks, sources and the
// status endpoint. Starts sinks before sources and stops sources before sinks,
// so everything read is spooled and everything spooled gets its chance to ship.
// Each configured sink (sinks/registry.ts) reads the spool through its own
// acknowledged cursor with its own runner.
import { join } from 'node:path';
import { toolVersion } from '../../core/version.ts';
import { CheckpointStore } from '../checkpoint/store.ts';
import type { AgentConfig } from '../config.ts';
import { agentHostName } from '../host-name.ts';
import type { Logger } from '../logger.ts';
import { Counters } from '../pipeline/counters.ts';
import type { Component, EventWriter, StateStore, Telemetry } from '../pipeline/types.ts';
import { plannedSinks } from '../sinks/registry.ts';
import type { Sink } from '../sinks/types.ts';
import type { SyslogSourceStatus } from '../sources/syslog/index.ts';
import { Spool, SpoolEventWriter, spoolOptionsFromConfig } from '../spool/index.ts';
import { type StatusServer, startStatusServer } from '../status/server.ts';
import type { AgentStatus } from '../status/types.ts';
import { SinkRunner } from './sink-runner.ts';
import { spoolBatches } from './spool-batches.ts';

/** What a source needs from the agent. */
export interface SourceDeps {
  config: Readonly<AgentConfig>;
  writer: EventWriter;
  state: StateStore;
  telemetry: Telemetry;
  hostName: string;
  logger: Logger;
}

export interface NamedSource extends Component {
  readonly name: string;
  status?(): unknown;
}

export type SourceFactory = (deps: SourceDeps) => Promise<NamedSource[]>;

export interface AgentOptions {
  config: Readonly<AgentConfig>;
  dataDir: string;
  logger: Logger;
  buildSources: SourceFactory;
}

export class Agent {
  private readonly options: AgentOptions;
  private readonly counters = new Counters();
  private readonly startedAt = new Date();
  private spool: Spool | undefined;
  private sinks: Array<{ name: string; sink: Sink; runner: SinkRunner }> = [];
  private sources: NamedSource[] = [];
  private server: StatusServer | undefined;
  private stopped: Promise<void> | undefined;

  private constructor(options: AgentOptions) {
    this.options = options;
  }

  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    try {
      await agent.startAll();
    } catch (error) {
      await agent.stop(2000);
      throw error;
    }
    return agent;
  }

  get statusAddress(): string | undefined {
    return this.server?.address;
  }

  private async startAll(): Promise<void> {
    const { config, dataDir, logger } = this.options;
    const hostName = agentHostName(config);
    const state = new CheckpointStore(join(dataDir, 'state'), {
      onWarning: (warning) => logger.warn(warning, 'checkpoint unreadable; starting that source from its beginning'),
    });
    const plans = plannedSinks(config);
    this.spool = await Spool.open({
      ...spoolOptionsFromConfig(config.spool, dataDir),
      // With nowhere to deliver, the spool is the local history: it rotates instead of blocking.
      mode: plans.length > 0 ? 'queue' : 'ring',
      readers: plans.map((plan) => plan.name),
      telemetry: this.counters,
      onWarning: (message) => logger.warn({ component: 'spool' }, message),
    });
    for (const plan of plans) {
      const sink = await plan.create({
        dataDir,
        telemetry: this.counters,
        onError: (error) => logger.warn({ code: error.code, sink: plan.name }, error.message),
      });
      const runner = new SinkRunner({
        source: spoolBatches(this.spool.reader(plan.name)),
        sink,
        ...plan.batching,
        onError: (error) =>
          logger.error({ err: error, sink: plan.name }, 'delivery failed; the batch will be read again from the spool'),
      });
      this.sinks.push({ name: plan.name, sink, runner });
      sink.start?.();
      await runner.start();
    }
    const writer = new SpoolEventWriter(this.spool);
    this.sources = await this.options.buildSources({
      config,
      writer,
      state,
      telemetry: this.counters,
      hostName,
      logger,
    });
    for (const source of this.sources) await source.start();
    if (config.status.enabled) this.server = await startStatusServer(config.status.listen, () => this.status());
    logger.info(
      {
        sources: this.sources.map((s) => s.name),
        sinks: Object.fromEntries(plans.map((plan) => [plan.name, plan.target])),
        data_dir: dataDir,
        status: this.server?.address ?? null,
      },
      'shiplog agent started',
    );
  }

  status(): AgentStatus {
    const reasons: string[] = [];
    const sinks: Record<string, unknown> = {};
    for (const { name, sink } of this.sinks) {
      const health = sink.health();
      sinks[name] = health;
      if (health.state === 'retrying' && health.lastError) reasons.push(health.lastError.message);
    }
    const spool = this.spool?.stats();
    if (spool?.blocked) reasons.push('the spool is full: sources are paused until the sink catches up');
    // Read before the counters: a source's status refreshes its gauges (the syslog listener's counts).
    const sources = Object.fromEntries(this.sources.map((source) => [source.name, source.status?.() ?? 'running']));
    // A listener paused for a moment in a burst is not news; paused behind a full spool is.
    for (const listener of (sources.syslog as SyslogSourceStatus | undefined)?.listeners ?? []) {
      if (listener.paused && spool?.blocked) {
        reasons.push(
          `syslog ${listener.transport} on ${listener.address} stopped reading: senders keep their messages until the spool has room`,
        );
      }
    }
    return {
      version: toolVersion,
      pid: process.pid,
      started_at: this.startedAt.toISOString(),
      uptime_seconds: Math.round((Date.now() - this.startedAt.getTime()) / 1000),
      health: reasons.length === 0 ? 'ok' : 'degraded',
      healthReasons: reasons,
      data_dir: this.options.dataDir,
      counters: this.counters.snapshot(),
      sources,
      spool: spool as unknown as Record<string, unknown> | undefined,
      sinks,
    };
  }

  /** Sources first (they checkpoint what was spooled), then the sinks, then the spool. Idempotent. */
  stop(deadlineMs = 10_000): Promise<void> {
    this.stopped ??= this.stopAll(deadlineMs);
    return this.stopped;
  }

  private async stopAll(deadlineMs: number): Promise<void> {
    const { logger } = this.options;
    const deadline = Date.now() + deadlineMs;
    const remaining = () => Math.max(100, deadline - Date.now());
    await Promise.allSettled(this.sources.map((source) => source.stop(remaining())));
    await Promise.allSettled(this.sinks.map(({ runner }) => runner.stop(remaining())));
    await Promise.allSettled(this.sinks.map(({ sink }) => sink.close()));
    await this.spool?.close();
    await this.server?.close();
    logger.info({ counters: this.counters.snapshot() }, 'shiplog agent stopped');
  }
}
