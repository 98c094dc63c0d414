// What the file source is built from: its config section (schema-derived),
// the pipeline around it, and tuning options with their defaults. The
// defaults suit a host; tests shorten the intervals.
import type { CodedError } from '../../../core/coded-error.ts';
import type { AgentConfig } from '../../../schemas/agent-config.ts';
import type { EventWriter, StateStore, Telemetry } from '../../pipeline/types.ts';

export type FileSourceConfig = AgentConfig['sources']['files'];

export interface FileSourceOptions {
  /** How often every path is looked at even without a change notification (ms). */
  pollIntervalMs?: number;
  /** How long a rotated file is kept open after its last growth (ms). */
  rotateGraceMs?: number;
  /** How often the globs are expanded again (ms). */
  rescanIntervalMs?: number;
  /** How often acknowledged offsets are saved (ms). */
  checkpointIntervalMs?: number;
  /** Identities not seen for this long are forgotten (ms). */
  forgetAfterMs?: number;
  batchEvents?: number;
  batchBytes?: number;
  readChunkBytes?: number;
  /** StateStore name of the offsets. */
  stateName?: string;
  /** Errors the operator should see (the agent logs them); each is reported once until it changes. */
  onError?: (error: CodedError) => void;
}

export interface FileSourceDeps {
  writer: EventWriter;
  state: StateStore;
  telemetry: Telemetry;
  config: FileSourceConfig;
  hostName: string;
  options?: FileSourceOptions;
}

export interface FileStatus {
  path: string;
  identity?: string;
  /** Acknowledged offset, and how far it has been read. */
  offset?: number;
  read?: number;
  size: number;
  error?: string;
  /** Bytes gone before they were read (rotated away, truncated): how many gaps, and at least how many bytes. */
  lost?: { gaps: number; bytes_at_least: number };
  /** Times the file was found truncated and refilled in place, and read again from its start. */
  rewritten?: number;
}

export type ResolvedOptions = Required<Omit<FileSourceOptions, 'onError'>>;

export function withDefaults(options: FileSourceOptions = {}): ResolvedOptions {
  return {
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    // Fluent Bit's rotate_wait: long enough for a writer to reopen after a rotation.
    rotateGraceMs: options.rotateGraceMs ?? 5000,
    rescanIntervalMs: options.rescanIntervalMs ?? 10_000,
    checkpointIntervalMs: options.checkpointIntervalMs ?? 1000,
    forgetAfterMs: options.forgetAfterMs ?? 7 * 86_400_000,
    batchEvents: options.batchEvents ?? 2000,
    batchBytes: options.batchBytes ?? 4 * 1024 * 1024,
    readChunkBytes: options.readChunkBytes ?? 256 * 1024,
    stateName: options.stateName ?? 'file-source',
  };
}
