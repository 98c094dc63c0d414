// The default collector set, in the order the manifest lists them.
import { agent } from './agent.ts';
import { agentSpool } from './agent_spool.ts';
import { containerLogs } from './container_logs.ts';
import { dockerContainers } from './docker_containers.ts';
import { dockerEngine } from './docker_engine.ts';
import { host } from './host.ts';
import { syslogFiles } from './syslog_files.ts';
import type { Collector } from './types.ts';

export const defaultCollectors: readonly Collector[] = [
  dockerContainers,
  dockerEngine,
  containerLogs,
  agentSpool,
  syslogFiles,
  host,
  agent,
];
