// `shiplog status [--json] [--wait DURATION] [--config FILE]`: asks the
// running agent's local endpoint and prints what it is doing. --wait is for
// right after a start (`systemctl start` returns before the agent listens):
// it keeps asking until the agent answers or the time is up.
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { CliIO } from '../../../core/cli.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { formatBytes, parseDuration } from '../../../core/units.ts';
import { loadAgentConfig } from '../../config.ts';
import { agentErrors } from '../../errors.ts';
import type { AgentStatus } from '../../status/types.ts';

const usage = `Usage: shiplog status [--json] [--wait DURATION] [--config FILE]

Shows a running agent's sources, spool, sinks and drops, from its local
status endpoint (status.listen, 127.0.0.1:9465 by default). Exits 0 when its
health is ok, 3 when it is degraded, 1 when no agent answers.

  --json            print the status object as JSON
  --wait DURATION   keep asking until the agent answers, for up to DURATION
                    (60s, 2m): right after it was started
  --config FILE     the configuration the agent runs with
`;

export async function run(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: 'boolean' },
      wait: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(usage);
    return 0;
  }
  const waitMs = values.wait === undefined ? 0 : waitDuration(values.wait);
  const config = loadAgentConfig(values.config, io.env);
  const address = config.status.listen;
  const deadline = Date.now() + waitMs;
  let status: AgentStatus;
  for (;;) {
    try {
      status = await askAgent(address);
      break;
    } catch (error) {
      if (Date.now() < deadline) {
        await sleep(Math.min(250, deadline - Date.now()));
        continue;
      }
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      const detail = cause ?? (error as Error).message;
      throw new CodedError(agentErrors.AGENT_NOT_RUNNING, {
        address,
        detail: waitMs > 0 ? `${detail}, still after ${values.wait}` : detail,
      });
    }
  }
  io.stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : renderStatus(status));
  return status.health === 'ok' ? 0 : 3;
}

async function askAgent(address: string): Promise<AgentStatus> {
  const response = await fetch(`http://${address}/status`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as AgentStatus;
}

function waitDuration(text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new CodedError(agentErrors.USAGE, { detail: `--wait: ${(error as Error).message}` });
  }
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
    Object.entries(counters.dropped).map(([reason, n]) => {
      const bytes = counters.droppedBytes?.[reason as keyof typeof counters.droppedBytes];
      return `${component} ${reason}: ${n}${bytes === undefined ? '' : ` (at least ${formatBytes(bytes)} lost)`}`;
    }),
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
