// `shiplog status [--json] [--config FILE]`: asks the running agent's local
// endpoint and prints what it is doing.
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { loadAgentConfig } from '../../config.ts';
import { agentErrors } from '../../errors.ts';
import type { AgentStatus } from '../../status/types.ts';

const usage = `Usage: shiplog status [--json] [--config FILE]

Shows a running agent's sources, spool, sinks and drops, from its local
status endpoint (status.listen, 127.0.0.1:9465 by default).

  --json         print the status object as JSON
  --config FILE  the configuration the agent runs with
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const config = loadAgentConfig(values.config, io.env);
  const address = config.status.listen;
  let status: AgentStatus;
  try {
    const response = await fetch(`http://${address}/status`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    status = (await response.json()) as AgentStatus;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new CodedError(agentErrors.AGENT_NOT_RUNNING, { address, detail: cause ?? (error as Error).message });
  }
  io.stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : renderStatus(status));
  return status.health === 'ok' ? 0 : 3;
}

export function renderStatus(status: AgentStatus): string {
  const lines = [
    `shiplog agent ${status.version}, pid ${status.pid}, up ${formatUptime(status.uptime_seconds)}, health ${status.health}`,
    ...status.healthReasons.map((reason) => `  ! ${reason}`),
    `data dir ${status.data_dir}`,
  ];
  const section = (title: string, value: unknown) => {
    lines.push(`${title}:`);
    lines.push(...indent(value, '  '));
  };
  section('sources', status.sources);
  section('spool', status.spool ?? 'none');
  section('sinks', Object.keys(status.sinks).length > 0 ? status.sinks : 'none (events stay in the local spool)');
  const drops = Object.entries(status.counters).flatMap(([component, counters]) =>
    Object.entries(counters.dropped).map(([reason, n]) => `${component} ${reason}: ${n}`),
  );
  section('drops', drops.length > 0 ? drops : 'none');
  return `${lines.join('\n')}\n`;
}

function indent(value: unknown, prefix: string): string[] {
  if (value === null || typeof value !== 'object') return [`${prefix}${String(value)}`];
  if (Array.isArray(value)) return value.flatMap((item) => indent(item, prefix));
  return Object.entries(value).flatMap(([key, child]) =>
    child !== null && typeof child === 'object'
      ? [`${prefix}${key}:`, ...indent(child, `${prefix}  `)]
      : [`${prefix}${key}: ${String(child)}`],
  );
}

function formatUptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
}
