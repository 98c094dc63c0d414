// The agent's disk spool: segmented files of checksummed records between the
// sources and the sinks. See writer.ts (appends), cursor.ts (readers),
// retention.ts (what is deleted when), scan.ts (history for bundles) and
// recovery below (what happens after a crash or a power cut).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../../core/coded-error.ts';
import { parseBytes, parseDuration } from '../../core/units.ts';
import type { SpoolConfig } from '../../schemas/agent-config.ts';
import { CheckpointStore } from '../checkpoint/store.ts';
import { agentErrors } from '../errors.ts';
import { SpoolReader } from './cursor.ts';
import { acquireLock, type SpoolLock } from './lock.ts';
import { ReadOnlySpool, type ReadOnlySpoolOptions } from './readonly.ts';
import { CURSORS, loadCursors, recover } from './recovery.ts';
import { scanSegments } from './scan.ts';
import { noTelemetry, type ResolvedOptions, SpoolState } from './state.ts';
import type {
  AppendOptions,
  AppendResult,
  ScanWindow,
  SpoolOptions,
  SpoolPosition,
  SpoolRecord,
  SpoolStats,
} from './types.ts';
import { SpoolWriter } from './writer.ts';

export class Spool {
  readonly #state: SpoolState;
  readonly #writer: SpoolWriter;
  readonly #readers: Map<string, SpoolReader>;
  readonly #store: CheckpointStore;
  readonly #lock: SpoolLock;
  readonly #timer: NodeJS.Timeout;
  #closing: Promise<void> | undefined;

  private constructor(state: SpoolState, store: CheckpointStore, lock: SpoolLock, starts: Map<string, SpoolPosition>) {
    this.#state = state;
    this.#store = store;
    this.#lock = lock;
    this.#writer = new SpoolWriter(state);
    this.#readers = new Map();
    for (const [name, start] of starts) {
      const reader = new SpoolReader(name, state, store, start, () => void this.#writer.requestRetention());
      this.#readers.set(name, reader);
      state.readers.set(name, reader);
    }
    const { historyMs, maxAgeMs } = state.options;
    // Age limits are checked a few times per window; an idle agent wakes at most once a minute.
    const every = Math.min(60_000, Math.max(1_000, Math.min(historyMs, maxAgeMs) / 10));
    this.#timer = setInterval(() => void this.#writer.requestRetention(), every);
    this.#timer.unref();
  }

  /** Locks `<dataDir>/spool`, recovers what is there, and starts. */
  static async open(options: SpoolOptions): Promise<Spool> {
    const resolved = resolveOptions(options);
    const { dir } = resolved;
    try {
      await mkdir(join(dir, CURSORS), { recursive: true });
    } catch (error) {
      throw new CodedError(agentErrors.SPOOL_IO, { dir, detail: String(error) }, { cause: error });
    }
    const lock = await acquireLock(dir);
    try {
      const state = new SpoolState(
        resolved,
        options.telemetry ?? noTelemetry,
        options.now ?? Date.now,
        options.onWarning,
      );
      const store = new CheckpointStore(join(dir, CURSORS), {
        onWarning: (warning) => state.warn(`spool cursor ${warning.path}: ${warning.reason}`),
      });
      const starts = await loadCursors(store, options.readers ?? [], state);
      await recover(state, starts);
      const spool = new Spool(state, store, lock, starts);
      state.reportGauges(false);
      return spool;
    } catch (error) {
      await lock.release();
      if (error instanceof CodedError) throw error;
      throw new CodedError(agentErrors.SPOOL_IO, { dir, detail: String(error) }, { cause: error });
    }
  }

  /**
   * A lock-free view for support bundles that writes nothing, so it works
   * while an agent holds the spool and keeps appending. See readonly.ts.
   */
  static openReadOnly(options: ReadOnlySpoolOptions): Promise<ReadOnlySpool> {
    return ReadOnlySpool.open(options);
  }

  /**
   * Resolves once the records are durable (per the fsync policy). When the
   * spool is full this waits for room, unless `whenFull` is 'drop_newest' or
   * the spool is in ring mode. A waiting append holds only its own records.
   */
  append(records: readonly (Buffer | string)[], options?: AppendOptions): Promise<AppendResult> {
    return this.#writer.append(records, options);
  }

  /** The reader registered under `name` at open. */
  reader(name: string): SpoolReader {
    const reader = this.#readers.get(name);
    if (!reader) throw new TypeError(`no spool reader "${name}"; register it in the readers option of Spool.open`);
    return reader;
  }

  /** Every retained record appended within the window, oldest first, whether delivered or not. */
  scan(window: ScanWindow = {}): AsyncIterable<SpoolRecord> {
    return scanSegments(this.#state, window);
  }

  /** Applies the history and age limits now (they are also applied on a timer and after acknowledgements). */
  enforceRetention(): Promise<void> {
    return this.#writer.requestRetention();
  }

  stats(): SpoolStats {
    const state = this.#state;
    let records = 0;
    let oldest: number | undefined;
    let newest: number | undefined;
    for (const segment of state.segments) {
      records += segment.records;
      if (segment.records === 0) continue;
      if (oldest === undefined || segment.minTime < oldest) oldest = segment.minTime;
      if (newest === undefined || segment.maxTime > newest) newest = segment.maxTime;
    }
    const readers: SpoolStats['readers'] = {};
    for (const [name, reader] of this.#readers) {
      const lag = reader.lag();
      readers[name] = { position: reader.position, lagRecords: lag.records, lagBytes: lag.bytes };
    }
    return {
      dir: state.options.dir,
      mode: state.options.mode,
      bytes: state.bytesUsed,
      maxBytes: state.options.maxBytes,
      segmentBytes: state.options.segmentBytes,
      segments: state.segments.length,
      records,
      oldest,
      newest,
      blocked: this.#writer.blocked,
      waitingAppends: this.#writer.waiting,
      readers,
      dropped: { ...state.dropped },
      historyEvicted: state.historyEvicted,
      corruptBytes: state.corruptBytes,
      ignoredFiles: state.ignoredFiles,
      warnings: [...state.warnings],
    };
  }

  /** Flushes and fsyncs, saves the cursors, releases the lock. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      try {
        await this.#writer.close();
      } finally {
        this.#state.closed = true;
        this.#state.notifyData();
        await Promise.allSettled([...this.#readers.values()].map((reader) => reader.close()));
        await this.#store.flush();
        await this.#lock.release();
      }
    })();
    return this.#closing;
  }
}

/** Spool options from the agent config's `spool` section. */
export function spoolOptionsFromConfig(
  config: SpoolConfig,
  dataDir: string,
): Pick<
  SpoolOptions,
  'dataDir' | 'maxBytes' | 'segmentBytes' | 'maxAgeMs' | 'historyMs' | 'fsync' | 'fsyncIntervalMs'
> {
  return {
    dataDir,
    maxBytes: parseBytes(config.max_bytes),
    segmentBytes: parseBytes(config.segment_bytes),
    maxAgeMs: parseDuration(config.max_age),
    historyMs: parseDuration(config.history),
    fsync: config.fsync,
    fsyncIntervalMs: parseDuration(config.fsync_interval),
  };
}

function resolveOptions(options: SpoolOptions): ResolvedOptions {
  const maxBytes = Math.max(1, options.maxBytes);
  return {
    dir: join(options.dataDir, 'spool'),
    maxBytes,
    // At least four segments fit under the cap, so freeing one never frees most of the spool at once.
    segmentBytes: Math.max(1, Math.min(options.segmentBytes, Math.floor(maxBytes / 4))),
    maxAgeMs: options.maxAgeMs,
    historyMs: options.historyMs,
    fsync: options.fsync,
    fsyncIntervalMs: Math.max(1, options.fsyncIntervalMs),
    mode: options.mode ?? 'queue',
    whenFull: options.whenFull ?? 'block',
  };
}
