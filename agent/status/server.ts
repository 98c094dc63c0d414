// The agent's local HTTP endpoint: /health (200 when running, 503 when a sink
// has been failing), /metrics (Prometheus), /status (the JSON `shiplog status`
// prints). Loopback by default; it never serves log content.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderMetrics } from './metrics.ts';
import type { AgentStatus } from './types.ts';

export interface StatusServer {
  readonly address: string;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen.trim());
  if (!match) throw new RangeError(`"${listen}" is not host:port`);
  return { host: match[1] || '127.0.0.1', port: Number(match[2]) };
}

export async function startStatusServer(listen: string, status: () => AgentStatus): Promise<StatusServer> {
  const { host, port } = parseListen(listen);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const current = status();
    if (path === '/health') {
      const healthy = current.health === 'ok';
      response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: current.health, reasons: current.healthReasons }));
    } else if (path === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      response.end(renderMetrics(current.counters, { uptime_seconds: current.uptime_seconds }));
    } else if (path === '/status') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(current));
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('try /health, /metrics or /status\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
