import type { ComponentCounters } from '../pipeline/counters.ts';

/** What `shiplog status --json` prints and /status serves. */
export interface AgentStatus {
  version: string;
  pid: number;
  started_at: string;
  uptime_seconds: number;
  health: 'ok' | 'degraded';
  healthReasons: string[];
  data_dir: string;
  counters: Record<string, ComponentCounters>;
  sources: Record<string, unknown>;
  spool: Record<string, unknown> | undefined;
  sinks: Record<string, unknown>;
}
