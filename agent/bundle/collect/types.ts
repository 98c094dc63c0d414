// What a collector is given and what it leaves behind. A collector writes
// only through `emit`/`open`, which redact before a byte reaches the disk,
// and reports what it learnt for SUMMARY.txt through `facts`.
import type Dockerode from 'dockerode';
import type { AgentConfig } from '../../config.ts';
import type { Redactor } from '../../redaction/index.ts';
import type { StagePool, StageResult } from './stage-pool.ts';

export interface TimeWindow {
  readonly since: Date;
  readonly until: Date;
}

/** What `emit` accepts: text, lines (without their newline), or a JSON document. */
export type EmitContent = string | Iterable<string> | AsyncIterable<string> | { readonly json: unknown };

/** A file being written line by line; `close` registers it in the bundle. */
export interface LineWriter {
  write(line: string): Promise<void>;
  close(): Promise<void>;
  /** Drops the partial file (the collector failed mid-way). */
  abort(): Promise<void>;
}

/** A bundle path reserved for a file that a staging worker writes. */
export interface ReservedFile {
  /** Where the worker writes the redacted file. */
  readonly target: string;
  /** Where the worker writes its compressed copy, when the pool packs. */
  readonly packTarget: string;
  /** Registers the file the worker wrote, with what it reported. */
  commit(result: StageResult): Promise<void>;
  /** Drops the file (the worker failed). */
  abort(): Promise<void>;
}

export interface ContainerFact {
  id: string;
  name: string;
  image: string;
  /** created, running, paused, restarting, removing, exited, dead */
  state: string;
  exitCode: number | undefined;
  oomKilled: boolean;
  restartCount: number;
  /** healthy, unhealthy, starting; undefined without a HEALTHCHECK. */
  health: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
}

export interface DiskFact {
  mount: string;
  fsType: string;
  sizeBytes: number;
  usedBytes: number;
}

export interface ClockFact {
  timezone: string;
  /** undefined where the host does not say (no timedatectl). */
  ntpSynchronized: boolean | undefined;
  /** Docker engine clock minus ours, when the engine is another machine's clock. */
  engineSkewMs: number | undefined;
}

export interface HostFact {
  name: string;
  os: string | undefined;
  kernel: string;
  uptimeSeconds: number;
}

/** What collectors learnt, for SUMMARY.txt and the manifest's host section. */
export interface Facts {
  host?: HostFact;
  /** Containers on this host (all of them, before the --containers filter). */
  containers?: ContainerFact[];
  disks?: DiskFact[];
  clock?: ClockFact;
  /** Engine's time at `docker info`, to measure skew against the host. */
  engineTime?: { engine: Date; local: Date };
}

export interface CollectContext {
  readonly collector: string;
  readonly window: TimeWindow;
  /** Container names or ids the operator asked for; empty: all. */
  readonly containers: readonly string[];
  readonly redactor: Redactor;
  readonly config: Readonly<AgentConfig>;
  readonly docker: Dockerode;
  readonly env: NodeJS.ProcessEnv;
  readonly facts: Facts;
  /** Aborted when the collector's time is up; stop and return. */
  readonly signal: AbortSignal;
  /** Redacts `content` and writes it at `path` inside the bundle. */
  emit(path: string, content: EmitContent): Promise<void>;
  /** For files written piecewise (several outputs interleaved). */
  open(path: string): LineWriter;
  /**
   * Worker threads that stage whole files through this run's engine (and
   * the release check's), for collectors of big files: one per file, at
   * most one per core. The collector closes it. `bytes`: about what the
   * files will hold once staged; when that fits well within the size budget
   * (so that no cut is likely to undo it), the workers also compress what
   * they write for the archive.
   */
  stagePool(files: number, bytes?: number): StagePool;
  /** Reserves `path` for a file a stage pool writes. */
  reserve(path: string): Promise<ReservedFile>;
}

export interface Collector {
  readonly name: string;
  readonly timeoutMs: number;
  collect(ctx: CollectContext): Promise<void>;
}
