// The contracts between the agent's components. Sources produce events and
// append them to the spool; the spool acknowledges an append once the events
// are durable (per its fsync policy); only then may a source advance its
// checkpoint. Sinks read the spool through a named cursor and acknowledge
// after delivery; only acknowledged records may be freed.
import type { LogEvent } from '../../schemas/log-event.ts';

export type { LogEvent };

/** Why an event was dropped; every drop is counted under one of these. */
export type DropReason =
  | 'spool_full'
  | 'spool_expired'
  | 'spool_corrupt'
  | 'rejected_by_sink'
  | 'oversize'
  | 'decode_error'
  | 'rotated_away'
  /** A pushed message arrived while the listener's queue before the spool was full (UDP cannot pause). */
  | 'backlog_full'
  /** The kernel dropped datagrams: the socket's receive buffer was full (/proc/net/udp). */
  | 'receive_buffer_full'
  /** An append to the spool failed (I/O error, or the spool closed first). */
  | 'write_failed';

/** Counters every component reports into; the status endpoint reads them. */
export interface Telemetry {
  eventsReceived(component: string, count: number, bytes: number): void;
  eventsSent(component: string, count: number, bytes: number): void;
  eventsDropped(component: string, reason: DropReason, count: number, intentional: boolean): void;
  /**
   * Bytes lost with dropped events where a source knows them but not the
   * events (a file rotated away before it was read: at least this many).
   */
  bytesDropped?(component: string, reason: DropReason, bytes: number): void;
  /** A component-specific gauge, e.g. spool bytes used or containers followed. */
  gauge(component: string, name: string, value: number): void;
}

/** Where events go from a source: the spool, or a sink directly in `ship`. */
export interface EventWriter {
  /**
   * Resolves once the events are durable downstream. While downstream is
   * full this does not resolve: a pull source simply stops reading (backpressure).
   */
  write(events: readonly LogEvent[], signal?: AbortSignal): Promise<void>;
  /**
   * The same for events already encoded as records (canonical JSON, see
   * pipeline/event-json.ts): the file source writes these, with no event
   * object per line.
   */
  writeRecords(records: readonly string[], signal?: AbortSignal): Promise<void>;
  /**
   * The same for records already turned into UTF-8 bytes, where the writer
   * takes them (the spool does): a push source that holds records while
   * they wait keeps them outside the JavaScript heap this way.
   */
  writeBytes?(records: readonly Buffer[], signal?: AbortSignal): Promise<void>;
}

/** Lifecycle every component follows (OpenTelemetry Collector style). */
export interface Component {
  /** Returns quickly; background loops own an AbortController. */
  start(): Promise<void>;
  /** Idempotent, safe before start; drains and checkpoints within the deadline. */
  stop(deadlineMs?: number): Promise<void>;
}

/**
 * Small durable state (source positions, spool cursors), written atomically.
 * Implemented by agent/checkpoint/store.ts.
 */
export interface StateStore {
  /** The saved value, or undefined when absent or unreadable (a warning is reported, never thrown). */
  load<T>(name: string): Promise<T | undefined>;
  /** Atomically replaces the value (temp file, fsync, rename); concurrent saves coalesce, last wins. */
  save(name: string, value: unknown): Promise<void>;
}
