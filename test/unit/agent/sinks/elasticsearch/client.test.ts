// What the sink sends and what it refuses to start with. API keys cannot be
// issued by the test Elasticsearch (its security index needs a module the
// test build lacks), so the Authorization header is checked here, on a small
// local server that answers like Elasticsearch and records the headers; the
// real client and the real sink talk to it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../../../agent/config.ts';
import { Counters } from '../../../../../agent/pipeline/counters.ts';
import { encodeApiKey, readTlsFiles } from '../../../../../agent/sinks/elasticsearch/client.ts';
import { ElasticsearchSink } from '../../../../../agent/sinks/elasticsearch/sink.ts';
import { syslogEvent } from '../../../../helpers/events.ts';
import { makeCa, makeSigned } from '../../../../helpers/pki.ts';
import { tempDir } from '../../../../helpers/temp.ts';

const esHeaders = { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' };
const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Answers like an 8.19 node: node info, template, and bulk items all created. */
const cluster =
  (seen: Array<{ path: string; authorization?: string }>, onBulk?: Handler): Handler =>
  (request, response) => {
    seen.push({ path: request.url ?? '', authorization: request.headers.authorization });
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url?.startsWith('/_bulk') && onBulk) return onBulk(request, response);
      let body: unknown = { acknowledged: true };
      if (request.url?.startsWith('/_nodes')) body = { nodes: { n: { version: '8.19.21', modules: [] } } };
      if (request.url?.startsWith('/_bulk')) {
        const lines = Buffer.concat(chunks).toString().trim().split('\n').length / 2;
        body = { errors: false, items: Array.from({ length: lines }, () => ({ create: { status: 201 } })) };
      }
      response.writeHead(200, esHeaders);
      response.end(JSON.stringify(body));
    });
  };

async function listen(server: Server, port = 0): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function sinkFor(env: Record<string, string>) {
  const config = loadAgentConfig(undefined, { SHIPLOG_ELASTICSEARCH_COMPRESSION: 'false', ...env });
  if (!config.elasticsearch) throw new Error('sink not configured');
  return new ElasticsearchSink({
    config: config.elasticsearch,
    dataDir: tempDir('shiplog-es-client-'),
    telemetry: new Counters(),
  });
}

describe('credentials on the wire', () => {
  it('sends an API key as "Authorization: ApiKey <encoded>" on every request', async () => {
    const seen: Array<{ path: string; authorization?: string }> = [];
    const port = await listen(createHttpServer(cluster(seen)));
    const encoded = Buffer.from('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw').toString('base64');
    const sink = sinkFor({
      SHIPLOG_ELASTICSEARCH_URL: `http://127.0.0.1:${port}`,
      SHIPLOG_ELASTICSEARCH_API_KEY: encoded,
    });
    expect(await sink.deliver([syslogEvent(1)])).toEqual({ delivered: 1, duplicates: 0, rejected: 0 });
    await sink.close();
    expect(seen.map((request) => request.path.replace(/\?.*/, ''))).toEqual([
      '/_nodes/_local',
      '/_index_template/shiplog-logs-shiplog-default',
      '/_bulk',
    ]);
    for (const request of seen) expect(request.authorization).toBe(`ApiKey ${encoded}`);
  });

  it('encodes an API key written as id:api_key, the two fields Elasticsearch also returns', async () => {
    const seen: Array<{ path: string; authorization?: string }> = [];
    const port = await listen(createHttpServer(cluster(seen)));
    const sink = sinkFor({
      SHIPLOG_ELASTICSEARCH_URL: `http://127.0.0.1:${port}`,
      SHIPLOG_ELASTICSEARCH_API_KEY: 'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw',
    });
    await sink.deliver([syslogEvent(1)]);
    await sink.close();
    expect(seen[0]?.authorization).toBe(`ApiKey ${encodeApiKey('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw')}`);
    expect(Buffer.from(seen[0]?.authorization?.slice('ApiKey '.length) ?? '', 'base64').toString()).toBe(
      'VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw',
    );
  });

  it('prefers the API key when a username and password are set too', async () => {
    const seen: Array<{ path: string; authorization?: string }> = [];
    const port = await listen(createHttpServer(cluster(seen)));
    const sink = sinkFor({
      SHIPLOG_ELASTICSEARCH_URL: `http://127.0.0.1:${port}`,
      SHIPLOG_ELASTICSEARCH_API_KEY: 'a2V5',
      SHIPLOG_ELASTICSEARCH_USERNAME: 'shiplog',
      SHIPLOG_ELASTICSEARCH_PASSWORD: 'pw',
    });
    await sink.deliver([syslogEvent(1)]);
    await sink.close();
    expect(seen[0]?.authorization).toBe('ApiKey a2V5');
  });

  it('reports an API key the cluster refuses while writing as SINK_ES_AUTH, keeping the events', async () => {
    const seen: Array<{ path: string; authorization?: string }> = [];
    const refuse: Handler = (_, response) => {
      response.writeHead(401, esHeaders);
      response.end(
        JSON.stringify({
          error: {
            type: 'security_exception',
            reason:
              'unable to authenticate with provided credentials and anonymous access is not allowed for this request',
          },
        }),
      );
    };
    const port = await listen(createHttpServer(cluster(seen, refuse)));
    const sink = sinkFor({
      SHIPLOG_ELASTICSEARCH_URL: `http://127.0.0.1:${port}`,
      SHIPLOG_ELASTICSEARCH_API_KEY: 'a2V5',
    });
    const controller = new AbortController();
    const delivery = sink.deliver([syslogEvent(1)], controller.signal);
    await expect.poll(() => sink.health().lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_AUTH');
    expect(sink.health().lastError?.message).toContain('the API key in elasticsearch.api_key');
    expect(sink.health()).toMatchObject({ state: 'retrying', delivered: 0, rejected: 0 });
    controller.abort();
    await expect(delivery).rejects.toThrow();
    await sink.close();
  });
});

describe('TLS', () => {
  let pki: string;

  beforeAll(() => {
    pki = tempDir('shiplog-es-pki-');
    const path = (name: string) => join(pki, name);
    for (const ca of ['old-ca', 'new-ca']) {
      makeCa(pki, ca);
      makeSigned(pki, `${ca}-server`, ca, { subject: '/CN=127.0.0.1', extensions: 'subjectAltName=IP:127.0.0.1' });
    }
    writeFileSync(path('not-pem.txt'), 'hello\n');
  });

  const file = (name: string) => join(pki, name);
  const tlsEnv = (url: string) => ({
    SHIPLOG_ELASTICSEARCH_URL: url,
    SHIPLOG_ELASTICSEARCH_TLS_CA: file('old-ca.crt'),
  });

  it('refuses to start on TLS files it cannot use, naming the setting and the file', () => {
    const config = (env: Record<string, string>) =>
      loadAgentConfig(undefined, { SHIPLOG_ELASTICSEARCH_URL: 'https://127.0.0.1:9', ...env }).elasticsearch ?? {
        url: '',
      };
    const attempt = (env: Record<string, string>) => {
      try {
        readTlsFiles(config(env) as never);
        return undefined;
      } catch (error) {
        return error as { code: string; message: string };
      }
    };
    const missing = attempt({ SHIPLOG_ELASTICSEARCH_TLS_CA: file('absent.crt') });
    expect(missing?.code).toBe('SHIPLOG_ERR_SINK_ES_TLS_FILE');
    expect(missing?.message).toContain(`elasticsearch.tls.ca (${file('absent.crt')}) cannot be used: ENOENT`);
    expect(attempt({ SHIPLOG_ELASTICSEARCH_TLS_CA: file('not-pem.txt') })?.message).toContain(
      'it holds no PEM certificate',
    );
    expect(attempt({ SHIPLOG_ELASTICSEARCH_TLS_CERT: file('old-ca-server.crt') })?.message).toContain(
      'needs both elasticsearch.tls.cert and elasticsearch.tls.key',
    );
    const mismatch = attempt({
      SHIPLOG_ELASTICSEARCH_TLS_CERT: file('old-ca-server.crt'),
      SHIPLOG_ELASTICSEARCH_TLS_KEY: file('new-ca-server.key'),
    });
    expect(mismatch?.message).toContain(
      `elasticsearch.tls.key (${file('new-ca-server.key')}) cannot be used: it is not the unencrypted private key of`,
    );
  });

  it('names the CA when the cluster comes back with a certificate from another CA while the agent runs', async () => {
    const seen: Array<{ path: string; authorization?: string }> = [];
    const serve = (name: string) => ({
      cert: readFileSync(file(`${name}-server.crt`)),
      key: readFileSync(file(`${name}-server.key`)),
    });
    const first = createHttpsServer(serve('old-ca'), cluster(seen));
    const port = await listen(first);
    const sink = sinkFor(tlsEnv(`https://127.0.0.1:${port}`));
    expect(await sink.deliver([syslogEvent(1)])).toMatchObject({ delivered: 1 });

    // The cluster is restarted with a certificate the configured CA did not sign.
    first.closeAllConnections();
    await new Promise((resolve) => first.close(resolve));
    servers.splice(servers.indexOf(first), 1);
    await listen(createHttpsServer(serve('new-ca'), cluster(seen)), port);

    const controller = new AbortController();
    const delivery = sink.deliver([syslogEvent(2)], controller.signal);
    await expect.poll(() => sink.health().lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_TLS_UNTRUSTED');
    expect(sink.health().lastError?.message).toContain(`elasticsearch.tls.ca (${file('old-ca.crt')})`);
    controller.abort();
    await expect(delivery).rejects.toThrow();
    await sink.close();
  });
});
