// The agent's effective configuration (secrets as [REDACTED]) and, when an
// agent answers on status.listen, its status. The agent logs JSON to stdout
// (journald or `docker logs` keep it, not a file of ours), so its self-logs
// reach the bundle through the syslog and container collectors, not here.

import { printableAgentConfig } from '../../config.ts';
import { parseListen } from '../../status/server.ts';
import type { Collector } from './types.ts';

const STATUS_TIMEOUT_MS = 5_000;

export const agent: Collector = {
  name: 'agent',
  timeoutMs: 20_000,
  async collect(ctx) {
    await ctx.emit('agent/config.json', { json: printableAgentConfig(ctx.config) });
    const notes = [
      "The agent's own logs go to its stdout: see the container's log under containers/ when it",
      'runs as a container, or syslog/ (journald forwarding) when it runs as a service.',
    ];
    const status = ctx.config.status;
    if (!status.enabled) {
      notes.unshift('status: the status endpoint is disabled (status.enabled: false).');
    } else {
      const { host, port } = parseListen(status.listen);
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/status`;
      try {
        const response = await fetch(url, {
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(STATUS_TIMEOUT_MS)]),
        });
        await ctx.emit('agent/status.json', { json: await response.json() });
        notes.unshift(`status: an agent answered on ${url} (agent/status.json).`);
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        notes.unshift(`status: no agent answered on ${url} (${(error as Error).cause ?? (error as Error).message}).`);
      }
    }
    await ctx.emit('agent/NOTES.txt', `${notes.join('\n')}\n`);
  },
};
