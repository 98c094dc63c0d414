// Elasticsearch as banks run it, for real: the security-on 8.19 node of
// test/services (HTTPS only, a client certificate required at the handshake,
// file-realm users). Each way an operator can get the settings wrong must
// give its own code and a message naming the setting and the file to fix,
// while the sink keeps the events and keeps trying.
import { randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../agent/config.ts';
import { Counters } from '../../../agent/pipeline/counters.ts';
import { ElasticsearchSink } from '../../../agent/sinks/elasticsearch/sink.ts';
import type { CodedError } from '../../../core/coded-error.ts';
import { type ExtraCertificates, makeExtraCertificates } from '../../helpers/es-certificates.ts';
import { syslogEvent } from '../../helpers/events.ts';
import { requireService, type SecureEs, secureEs } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const up = requireService('elasticsearch-secure');

describe.skipIf(!up)('Elasticsearch sink against a cluster with TLS, client certificates and passwords', () => {
  const namespace = `sec${randomUUID().slice(0, 8)}`;
  const dataStream = `logs-shiplog-${namespace}`;
  let es: SecureEs;
  let extra: ExtraCertificates;
  let admin: Client;

  beforeAll(() => {
    es = secureEs();
    extra = makeExtraCertificates(es.ca, es.caKey);
    admin = new Client({
      node: es.url,
      auth: { username: es.username, password: es.password },
      tls: { ca: readFileSync(es.ca), cert: readFileSync(es.cert), key: readFileSync(es.key) },
    });
  });

  afterAll(async () => {
    await admin.indices.deleteDataStream({ name: dataStream }).catch(() => {});
    await admin.indices.deleteIndexTemplate({ name: `shiplog-${dataStream}` }).catch(() => {});
    await admin.close();
  });

  /** The settings an operator would write, as environment variables; undefined leaves one out. */
  function settings(overrides: Record<string, string | undefined> = {}): Record<string, string> {
    const all: Record<string, string | undefined> = {
      SHIPLOG_ELASTICSEARCH_URL: es.url,
      SHIPLOG_ELASTICSEARCH_NAMESPACE: namespace,
      SHIPLOG_ELASTICSEARCH_USERNAME: es.username,
      SHIPLOG_ELASTICSEARCH_PASSWORD: es.password,
      SHIPLOG_ELASTICSEARCH_TLS_CA: es.ca,
      SHIPLOG_ELASTICSEARCH_TLS_CERT: es.cert,
      SHIPLOG_ELASTICSEARCH_TLS_KEY: es.key,
      ...overrides,
    };
    return Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined));
  }

  function makeSink(env: Record<string, string>) {
    const config = loadAgentConfig(undefined, env);
    if (!config.elasticsearch) throw new Error('sink not configured');
    const errors: CodedError[] = [];
    const sink = new ElasticsearchSink({
      config: config.elasticsearch,
      dataDir: tempDir('shiplog-es-sec-'),
      telemetry: new Counters(),
      onError: (error) => errors.push(error),
    });
    return { sink, errors };
  }

  async function count(): Promise<number> {
    await admin.indices.refresh({ index: dataStream });
    return (await admin.count({ index: dataStream })).count;
  }

  /**
   * Delivers one event with these settings and waits until the sink reports
   * an error; the delivery is still pending then (the sink keeps the event
   * and keeps trying) and is given up by the abort, as a stopping agent does.
   */
  async function firstError(env: Record<string, string>) {
    const { sink, errors } = makeSink(env);
    const controller = new AbortController();
    const delivery = sink.deliver([syslogEvent(999_999)], controller.signal);
    await expect.poll(() => sink.health().lastError, { timeout: 30_000 }).toBeDefined();
    const health = sink.health();
    controller.abort();
    await expect(delivery).rejects.toThrow();
    await sink.close();
    return { health, logged: errors[0] };
  }

  it('delivers over HTTPS with the CA file, a client certificate and basic auth', async () => {
    const { sink } = makeSink(settings());
    const report = await sink.deliver(Array.from({ length: 50 }, (_, i) => syslogEvent(i)));
    expect(report).toEqual({ delivered: 50, duplicates: 0, rejected: 0 });
    expect(await count()).toBe(50);
    expect(sink.health()).toMatchObject({ state: 'healthy', cluster: { version: '8.19.21', dataStreams: true } });
    await sink.close();
  });

  it('delivers with the CA pinned by its SHA-256 fingerprint instead of a CA file', async () => {
    const fingerprint = new X509Certificate(readFileSync(es.ca)).fingerprint256;
    const { sink } = makeSink(
      settings({ SHIPLOG_ELASTICSEARCH_TLS_CA: undefined, SHIPLOG_ELASTICSEARCH_TLS_CA_FINGERPRINT: fingerprint }),
    );
    const report = await sink.deliver(Array.from({ length: 60 }, (_, i) => syslogEvent(i)));
    // The first 50 are there from the test before: a replay, stored once.
    expect(report).toEqual({ delivered: 10, duplicates: 50, rejected: 0 });
    expect(await count()).toBe(60);
    await sink.close();
  });

  it('a CA file that did not sign the cluster: SINK_ES_TLS_UNTRUSTED, naming tls.ca and the file', async () => {
    const { health, logged } = await firstError(settings({ SHIPLOG_ELASTICSEARCH_TLS_CA: extra.otherCa }));
    expect(health.state).toBe('retrying');
    expect(health.lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_TLS_UNTRUSTED');
    expect(health.lastError?.message).toContain(`elasticsearch.tls.ca (${extra.otherCa})`);
    expect(health.lastError?.message).toContain('self-signed certificate in certificate chain');
    expect(logged?.code).toBe('SHIPLOG_ERR_SINK_ES_TLS_UNTRUSTED');
    expect(health.delivered).toBe(0);
  });

  it('a pinned fingerprint that is not the cluster CA: SINK_ES_TLS_FINGERPRINT, showing what the server presented', async () => {
    const wrong = new X509Certificate(readFileSync(extra.otherCa)).fingerprint256;
    const real = new X509Certificate(readFileSync(es.ca)).fingerprint256;
    const { health } = await firstError(
      settings({ SHIPLOG_ELASTICSEARCH_TLS_CA: undefined, SHIPLOG_ELASTICSEARCH_TLS_CA_FINGERPRINT: wrong }),
    );
    expect(health.lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_TLS_FINGERPRINT');
    expect(health.lastError?.message).toContain(wrong);
    expect(health.lastError?.message).toContain(`shiplog test CA (${real})`);
  });

  it('no client certificate where the cluster requires one: SINK_ES_TLS_CLIENT_CERT_MISSING', async () => {
    const { health } = await firstError(
      settings({ SHIPLOG_ELASTICSEARCH_TLS_CERT: undefined, SHIPLOG_ELASTICSEARCH_TLS_KEY: undefined }),
    );
    expect(health.lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_MISSING');
    // What the server said (TLS 1.3's certificate_required alert), and which settings to set.
    expect(health.lastError?.message).toContain('TLS alert certificate_required from the server');
    expect(health.lastError?.message).toContain('elasticsearch.tls.cert and elasticsearch.tls.key');
  });

  it('an expired client certificate: SINK_ES_TLS_CLIENT_CERT_EXPIRED, with the file and the date', async () => {
    const { health } = await firstError(
      settings({ SHIPLOG_ELASTICSEARCH_TLS_CERT: extra.expiredCert, SHIPLOG_ELASTICSEARCH_TLS_KEY: extra.expiredKey }),
    );
    expect(health.lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_EXPIRED');
    expect(health.lastError?.message).toContain(`client certificate ${extra.expiredCert} (elasticsearch.tls.cert)`);
    expect(health.lastError?.message).toContain('expired on 2020-01-02T00:00:00.000Z');
    // The server's own verdict: Java answers an expired certificate with certificate_unknown.
    expect(health.lastError?.message).toContain('TLS alert certificate_unknown from the server');
  });

  it('a client certificate from a CA the cluster does not trust: SINK_ES_TLS_CLIENT_CERT_REFUSED', async () => {
    const { health } = await firstError(
      settings({
        SHIPLOG_ELASTICSEARCH_TLS_CERT: extra.strangerCert,
        SHIPLOG_ELASTICSEARCH_TLS_KEY: extra.strangerKey,
      }),
    );
    expect(health.lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_REFUSED');
    expect(health.lastError?.message).toContain(extra.strangerCert);
    expect(health.lastError?.message).toContain('issued by CN=some other CA');
  });

  it('a wrong password: SINK_ES_AUTH, naming the user and elasticsearch.password', async () => {
    const { health } = await firstError(settings({ SHIPLOG_ELASTICSEARCH_PASSWORD: 'not-the-password' }));
    expect(health.lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_AUTH');
    expect(health.lastError?.message).toContain(`the password of user "${es.username}"`);
    expect(health.lastError?.message).toContain('elasticsearch.password');
    expect(health.lastError?.message).toContain('unable to authenticate user');
  });

  it('no credentials at all: SINK_ES_AUTH, saying the cluster requires them', async () => {
    const { health } = await firstError(
      settings({ SHIPLOG_ELASTICSEARCH_USERNAME: undefined, SHIPLOG_ELASTICSEARCH_PASSWORD: undefined }),
    );
    expect(health.lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_AUTH');
    expect(health.lastError?.message).toContain('a request without credentials');
  });

  it('a user without the privileges: SINK_ES_FORBIDDEN, naming the user and what it may not do', async () => {
    const { health } = await firstError(
      settings({
        SHIPLOG_ELASTICSEARCH_USERNAME: es.viewer.username,
        SHIPLOG_ELASTICSEARCH_PASSWORD: es.viewer.password,
      }),
    );
    expect(health.lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_FORBIDDEN');
    expect(health.lastError?.message).toContain(`user "${es.viewer.username}"`);
  });

  it('a plain http:// URL for the HTTPS port: SINK_ES_HTTPS_REQUIRED, not a silent "did not answer"', async () => {
    const { health } = await firstError(settings({ SHIPLOG_ELASTICSEARCH_URL: es.url.replace('https:', 'http:') }));
    expect(health.lastError?.code).toBe('SHIPLOG_ERR_SINK_ES_HTTPS_REQUIRED');
    expect(health.lastError?.message).toContain('write https:// in elasticsearch.url');
    expect(health.rejected).toBe(0);
  });
});
