// An operator sets up the agent for a bank's Elasticsearch (HTTPS, client
// certificates, a password) and gets one setting wrong after another. Each
// time `shiplog status` and the agent's log say which setting and which file
// to fix, with its own code; meanwhile the file source keeps spooling. Once
// the settings are right and the agent restarted, every line written through
// all of it is in the cluster exactly once. Against the real security-on
// Elasticsearch 8.19 of test/services.
import { randomUUID, X509Certificate } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../../agent/status/types.ts';
import { startAgentProcess } from '../../helpers/agent-process.ts';
import { shiplog } from '../../helpers/cli.ts';
import { makeExtraCertificates } from '../../helpers/es-certificates.ts';
import { freePort } from '../../helpers/rsyslog.ts';
import { requireService, secureEs } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const ready = requireService('elasticsearch-secure');

interface SinkHealthJson {
  state: string;
  lastError?: { code: string; message: string };
}

describe.skipIf(!ready)('agent with wrong Elasticsearch security settings', () => {
  const namespace = `misconf${randomUUID().slice(0, 8)}`;
  const dataStream = `logs-shiplog-${namespace}`;
  const es = ready ? secureEs() : undefined;
  const admin = es
    ? new Client({
        node: es.url,
        auth: { username: es.username, password: es.password },
        tls: { ca: readFileSync(es.ca), cert: readFileSync(es.cert), key: readFileSync(es.key) },
      })
    : undefined;

  afterAll(async () => {
    await admin?.indices.deleteDataStream({ name: dataStream }).catch(() => {});
    await admin?.close();
  });

  it('says what to fix for each mistake, spools meanwhile, and delivers everything once when fixed', {
    timeout: 300_000,
  }, async () => {
    if (!es || !admin) throw new Error('unreachable');
    const extra = makeExtraCertificates(es.ca, es.caKey);
    const dir = tempDir('shiplog-misconf-');
    const logFile = join(dir, 'app.log');
    const agentLog = join(dir, 'agent.log');
    const status = `127.0.0.1:${await freePort('tcp')}`;
    let written = 0;
    const write = (count: number) => {
      const lines = Array.from({ length: count }, (_, i) => `app line ${written + i}\n`).join('');
      appendFileSync(logFile, lines);
      written += count;
    };

    const right: Record<string, string | undefined> = {
      SHIPLOG_DATA_DIR: join(dir, 'data'),
      SHIPLOG_SOURCES_DOCKER_ENABLED: 'false',
      SHIPLOG_SOURCES_FILES_PATHS: logFile,
      SHIPLOG_STATUS_LISTEN: status,
      SHIPLOG_LOG_LEVEL: 'info',
      SHIPLOG_ELASTICSEARCH_URL: es.url,
      SHIPLOG_ELASTICSEARCH_NAMESPACE: namespace,
      SHIPLOG_ELASTICSEARCH_USERNAME: es.username,
      SHIPLOG_ELASTICSEARCH_PASSWORD: es.password,
      SHIPLOG_ELASTICSEARCH_TLS_CA: es.ca,
      SHIPLOG_ELASTICSEARCH_TLS_CERT: es.cert,
      SHIPLOG_ELASTICSEARCH_TLS_KEY: es.key,
    };
    const otherFingerprint = new X509Certificate(readFileSync(extra.otherCa)).fingerprint256;
    const mistakes: Array<{ what: string; env: Record<string, string | undefined>; code: string; says: string }> = [
      {
        what: 'a CA file that did not sign the cluster',
        env: { SHIPLOG_ELASTICSEARCH_TLS_CA: extra.otherCa },
        code: 'SHIPLOG_ERR_SINK_ES_TLS_UNTRUSTED',
        says: `elasticsearch.tls.ca (${extra.otherCa})`,
      },
      {
        what: 'the fingerprint of another CA',
        env: { SHIPLOG_ELASTICSEARCH_TLS_CA: undefined, SHIPLOG_ELASTICSEARCH_TLS_CA_FINGERPRINT: otherFingerprint },
        code: 'SHIPLOG_ERR_SINK_ES_TLS_FINGERPRINT',
        says: 'elasticsearch.tls.ca_fingerprint',
      },
      {
        what: 'no client certificate',
        env: { SHIPLOG_ELASTICSEARCH_TLS_CERT: undefined, SHIPLOG_ELASTICSEARCH_TLS_KEY: undefined },
        code: 'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_MISSING',
        says: 'Set elasticsearch.tls.cert and elasticsearch.tls.key',
      },
      {
        what: 'an expired client certificate',
        env: { SHIPLOG_ELASTICSEARCH_TLS_CERT: extra.expiredCert, SHIPLOG_ELASTICSEARCH_TLS_KEY: extra.expiredKey },
        code: 'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_EXPIRED',
        says: `${extra.expiredCert} (elasticsearch.tls.cert): it expired on 2020-01-02`,
      },
      {
        what: 'a wrong password',
        env: { SHIPLOG_ELASTICSEARCH_PASSWORD: 'last-year-s-password' },
        code: 'SHIPLOG_ERR_SINK_ES_AUTH',
        says: `the password of user "${es.username}"`,
      },
    ];

    const defined = (env: Record<string, string | undefined>) =>
      Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
    // The child inherits the test's environment: settings left out must not come from there.
    const unset = Object.fromEntries(
      Object.keys({ ...right, SHIPLOG_ELASTICSEARCH_TLS_CA_FINGERPRINT: '' }).map((k) => [k, undefined]),
    );
    const statusJson = async () => {
      const result = await shiplog(['status', '--json'], { env: { SHIPLOG_STATUS_LISTEN: status } });
      return result.stdout ? (JSON.parse(result.stdout) as AgentStatus) : undefined;
    };
    const sinkHealth = async () => (await statusJson())?.sinks.elasticsearch as SinkHealthJson | undefined;

    for (const mistake of mistakes) {
      write(500);
      const agent = startAgentProcess({ ...unset, ...defined({ ...right, ...mistake.env }) }, agentLog);
      try {
        await expect
          .poll(async () => (await sinkHealth())?.lastError?.code, {
            timeout: 30_000,
            interval: 250,
            message: mistake.what,
          })
          .toBe(mistake.code);
        // Everything written so far is read and held in the spool.
        await expect
          .poll(async () => (await statusJson())?.spool?.readers, {
            timeout: 30_000,
            interval: 250,
            message: mistake.what,
          })
          .toMatchObject({ elasticsearch: { lagRecords: written } });
        const text = await shiplog(['status'], { env: { SHIPLOG_STATUS_LISTEN: status } });
        expect(text.code, mistake.what).toBe(3);
        expect(text.stdout, mistake.what).toContain('health degraded');
        expect(text.stdout, mistake.what).toContain(mistake.code);
        expect(text.stdout, mistake.what).toContain(mistake.says);
      } finally {
        await agent.kill('SIGTERM');
      }
      expect(readFileSync(agentLog, 'utf8'), mistake.what).toContain(`"code":"${mistake.code}"`);
    }

    write(500);
    const agent = startAgentProcess({ ...unset, ...defined(right) }, agentLog);
    const count = async () => {
      await admin.indices.refresh({ index: dataStream }).catch(() => {});
      return (await admin.count({ index: dataStream }).catch(() => ({ count: 0 }))).count;
    };
    try {
      await expect.poll(count, { timeout: 120_000, interval: 1000 }).toBe(written);
      await expect.poll(async () => (await sinkHealth())?.state, { timeout: 30_000 }).toBe('healthy');
    } finally {
      await agent.kill('SIGTERM');
    }
    const messages = new Set<string>();
    for await (const doc of admin.helpers.scrollDocuments<{ message: string }>({
      index: dataStream,
      size: 5000,
      _source: ['message'],
    })) {
      messages.add(doc.message);
    }
    expect(messages.size).toBe(written);
    expect(await count()).toBe(written);
  });
});
