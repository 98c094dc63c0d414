// The syslog listener as an operator runs it: `shiplog agent` as its own
// process with sources.syslog.* from the environment, shipping into the test
// Elasticsearch; plus certificates made with openssl for its TLS tests.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@elastic/elasticsearch';
import { type AgentProcess, startAgentProcess } from './agent-process.ts';
import { makeCa, makeSigned } from './pki.ts';
import { freePort } from './rsyslog.ts';
import { esUrl } from './services.ts';

export interface ListeningAgent {
  agent: AgentProcess;
  udp: number;
  tcp: number;
  tls: number;
  statusUrl: string;
  /** The agent's /status object. */
  status(): Promise<AgentStatusJson>;
  /** The agent's /metrics text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export interface ListenerStatsJson {
  transport: string;
  address: string;
  messages: number;
  truncated: number;
  malformed: number;
  connections?: number;
  refused?: number;
  idle_closed?: number;
  handshake_failed?: number;
  paused?: boolean;
  dropped_backlog?: number;
  dropped_kernel?: number;
}

export interface AgentStatusJson {
  health: string;
  sources: { syslog?: { listeners: ListenerStatsJson[]; pending_bytes: number } };
  counters: Record<string, { received: number; dropped: Record<string, number> }>;
}

export interface ListeningAgentOptions {
  dir: string;
  namespace: string;
  /** Which listeners to open. */
  transports: ('udp' | 'tcp' | 'tls')[];
  tls?: TlsFiles;
  /** Require client certificates (client_ca_file). */
  requireClientCert?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Starts the agent with only the syslog source and waits until every listener is bound. */
export async function startListeningAgent(options: ListeningAgentOptions): Promise<ListeningAgent> {
  const udp = await freePort('udp');
  const tcp = await freePort('tcp');
  const tls = await freePort('tcp');
  const statusPort = await freePort('tcp');
  const env: NodeJS.ProcessEnv = {
    SHIPLOG_DATA_DIR: join(options.dir, 'data'),
    SHIPLOG_ELASTICSEARCH_URL: esUrl(),
    SHIPLOG_ELASTICSEARCH_NAMESPACE: options.namespace,
    SHIPLOG_ELASTICSEARCH_FLUSH_AFTER: '200ms',
    SHIPLOG_SOURCES_DOCKER_ENABLED: 'false',
    SHIPLOG_SOURCES_FILES_ENABLED: 'false',
    SHIPLOG_SOURCES_SYSLOG_TIMEZONE: 'UTC',
    SHIPLOG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    SHIPLOG_LOG_LEVEL: 'warn',
  };
  if (options.transports.includes('udp')) env.SHIPLOG_SOURCES_SYSLOG_UDP_LISTEN = `127.0.0.1:${udp}`;
  if (options.transports.includes('tcp')) env.SHIPLOG_SOURCES_SYSLOG_TCP_LISTEN = `127.0.0.1:${tcp}`;
  if (options.transports.includes('tls')) {
    const files = options.tls;
    if (!files) throw new Error('tls needs certificate files');
    env.SHIPLOG_SOURCES_SYSLOG_TLS_LISTEN = `127.0.0.1:${tls}`;
    env.SHIPLOG_SOURCES_SYSLOG_TLS_CERT_FILE = files.serverCert;
    env.SHIPLOG_SOURCES_SYSLOG_TLS_KEY_FILE = files.serverKey;
    if (options.requireClientCert) env.SHIPLOG_SOURCES_SYSLOG_TLS_CLIENT_CA_FILE = files.caCert;
  }
  const agent = startAgentProcess({ ...env, ...options.env }, join(options.dir, 'agent.log'));
  const statusUrl = `http://127.0.0.1:${statusPort}`;
  const status = async (): Promise<AgentStatusJson> => {
    const response = await fetch(`${statusUrl}/status`);
    return (await response.json()) as AgentStatusJson;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const listeners = await status()
      .then((s) => s.sources.syslog?.listeners.length ?? 0)
      .catch(() => 0);
    if (listeners === options.transports.length) break;
    const exited = await Promise.race([agent.exited, sleep(100).then(() => undefined)]);
    if (exited !== undefined || Date.now() > deadline) {
      throw new Error(`the agent did not start listening (exit ${String(exited)}; see ${options.dir}/agent.log)`);
    }
  }
  return {
    agent,
    udp,
    tcp,
    tls,
    statusUrl,
    status,
    metrics: async () => (await fetch(`${statusUrl}/metrics`)).text(),
    stop: async () => {
      await agent.kill('SIGTERM');
    },
  };
}

export interface SyslogDoc {
  '@timestamp': string;
  message: string;
  tags?: string[];
  event: { dataset: string; original?: string };
  log?: { syslog?: Record<string, unknown> };
  source?: { ip: string; port?: number };
  process?: { name?: string; pid?: number };
  host: { name: string };
  shiplog: { id: string; origin: { source: string; key: string; position: string }; truncated?: boolean };
}

/** Waits until the namespace's data stream holds `count` documents matching `query`, and returns them. */
export async function waitForDocs(
  es: Client,
  namespace: string,
  query: Record<string, unknown>,
  count: number,
  timeoutMs = 60_000,
): Promise<SyslogDoc[]> {
  const index = `logs-shiplog-${namespace}`;
  const deadline = Date.now() + timeoutMs;
  let found = -1;
  for (;;) {
    await es.indices.refresh({ index }).catch(() => undefined);
    const result = await es.search<SyslogDoc>({ index, query, size: Math.max(count, 10) + 10 }).catch(() => undefined);
    const hits = result?.hits.hits ?? [];
    found = hits.length;
    if (found >= count) {
      // In the order they were received: by stream, then by position in it.
      return hits
        .map((hit) => hit._source as SyslogDoc)
        .sort(
          (a, b) =>
            a.shiplog.origin.key.localeCompare(b.shiplog.origin.key) ||
            Number(a.shiplog.origin.position) - Number(b.shiplog.origin.position),
        );
    }
    if (Date.now() > deadline)
      throw new Error(`expected ${count} documents for ${JSON.stringify(query)}, found ${found}`);
    await sleep(250);
  }
}

export interface TlsFiles {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from another CA, which the listener must refuse. */
  rogueCert: string;
  rogueKey: string;
}

/** A private CA, a server certificate for 127.0.0.1, a client certificate it signed, and one it did not. */
export function makeTlsFiles(dir: string): TlsFiles {
  const path = (name: string) => join(dir, name);
  const ca = (name: string) => makeCa(dir, name);
  const leaf = (name: string, signer: string, extensions: string) => makeSigned(dir, name, signer, { extensions });
  ca('shiplog-test-ca');
  ca('rogue-ca');
  leaf('server', 'shiplog-test-ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  leaf('client', 'shiplog-test-ca', 'subjectAltName=DNS:sender.test\nextendedKeyUsage=clientAuth');
  leaf('rogue', 'rogue-ca', 'subjectAltName=DNS:rogue.test\nextendedKeyUsage=clientAuth');
  return {
    caCert: path('shiplog-test-ca.crt'),
    serverCert: path('server.crt'),
    serverKey: path('server.key'),
    clientCert: path('client.crt'),
    clientKey: path('client.key'),
    rogueCert: path('rogue.crt'),
    rogueKey: path('rogue.key'),
  };
}
