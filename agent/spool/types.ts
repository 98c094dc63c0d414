// Shapes shared by the spool's parts and its callers.
import type { Telemetry } from '../pipeline/types.ts';

export type FsyncPolicy = 'always' | 'interval' | 'never';

/**
 * queue: a sink reads the spool; when it is full, appends wait (backpressure).
 * ring: nothing reads it (no sink configured); when full, the oldest segment
 * is deleted, so the spool is a rolling history for support bundles.
 */
export type SpoolMode = 'queue' | 'ring';

/** What an append does when the byte cap is reached in queue mode. */
export type WhenFull = 'block' | 'drop_newest';

export interface SpoolOptions {
  /** The agent's data directory; the spool lives in `<dataDir>/spool/`. */
  dataDir: string;
  maxBytes: number;
  segmentBytes: number;
  /** Undelivered records older than this are dropped (reason spool_expired). */
  maxAgeMs: number;
  /** Delivered records are kept at least this long, for support bundles. */
  historyMs: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  mode?: SpoolMode;
  /** Names of the cursors that must acknowledge a record before it can be freed (e.g. 'elasticsearch'). */
  readers?: readonly string[];
  /** Default for appends that do not say. */
  whenFull?: WhenFull;
  telemetry?: Telemetry;
  /** Told about corruption found, unreadable files and unreadable cursors (the agent logs it). */
  onWarning?: (message: string) => void;
  /** The clock for record times and age limits; tests pass their own. */
  now?: () => number;
}

/**
 * A place in the spool: a record's start, or the point after the last record
 * of a batch. `index` is the record's ordinal inside its segment (for lag).
 */
export interface SpoolPosition {
  readonly segment: number;
  readonly offset: number;
  readonly index: number;
}

export interface SpoolRecord {
  /** The payload as appended (a view; copy it to keep it beyond the batch). */
  readonly data: Buffer;
  /** When it was appended, in ms since the epoch. */
  readonly time: number;
  readonly position: SpoolPosition;
}

export interface SpoolBatch {
  readonly records: readonly SpoolRecord[];
  /** Acknowledge this after delivering the batch. */
  readonly end: SpoolPosition;
  readonly bytes: number;
}

export interface ReadOptions {
  maxRecords?: number;
  /** Payload bytes per batch; a single larger record still comes alone. */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface AppendOptions {
  signal?: AbortSignal;
  whenFull?: WhenFull;
}

export interface AppendResult {
  /** Records now durable in the spool. */
  accepted: number;
  /** Records counted as dropped (spool_full with drop_newest, oversize). */
  dropped: number;
}

export interface ScanWindow {
  since?: Date;
  until?: Date;
}

export interface ReaderStats {
  position: SpoolPosition;
  lagRecords: number;
  lagBytes: number;
}

export interface SpoolStats {
  dir: string;
  mode: SpoolMode;
  bytes: number;
  maxBytes: number;
  segmentBytes: number;
  segments: number;
  records: number;
  /** Append times of the oldest and newest retained record, ms since the epoch. */
  oldest: number | undefined;
  newest: number | undefined;
  blocked: boolean;
  waitingAppends: number;
  readers: Record<string, ReaderStats>;
  dropped: { spool_full: number; spool_expired: number; spool_corrupt: number; oversize: number };
  /** Delivered records deleted before their history window ended, to make room. */
  historyEvicted: number;
  corruptBytes: number;
  ignoredFiles: number;
  /** The latest warnings (corruption found, unreadable files), newest last. */
  warnings: string[];
}

export function comparePositions(a: SpoolPosition, b: SpoolPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}
