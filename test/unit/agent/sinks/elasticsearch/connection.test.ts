// The connection check's decisions with the TLS probe's answers given: which
// node it trusts, what a pinned fingerprint becomes, when it passes a node
// over. The probe itself meets a real cluster in security.test.ts.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../../../../../agent/config.ts';
import { ConnectionCheck, type Probe } from '../../../../../agent/sinks/elasticsearch/connection.ts';
import type { ProbeOptions, ProbeResult } from '../../../../../agent/sinks/elasticsearch/tls-probe.ts';
import { tempDir } from '../../../../helpers/temp.ts';

let ca: X509Certificate;
let leaf: X509Certificate;

beforeAll(() => {
  const dir = tempDir('shiplog-es-conn-');
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=Bank HTTP CA',
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.crt'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=es-1',
    '-keyout',
    path('leaf.key'),
    '-out',
    path('leaf.csr'),
  );
  openssl(
    'x509',
    '-req',
    '-in',
    path('leaf.csr'),
    '-CA',
    path('ca.crt'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    path('leaf.crt'),
  );
  ca = new X509Certificate(readFileSync(path('ca.crt')));
  leaf = new X509Certificate(readFileSync(path('leaf.crt')));
});

function checkFor(
  env: Record<string, string>,
  answer: (url: string, options: ProbeOptions) => ProbeResult,
  urls?: string[],
) {
  const loaded = loadAgentConfig(undefined, env).elasticsearch;
  if (!loaded) throw new Error('sink not configured');
  const config = urls ? { ...loaded, url: urls } : loaded;
  const calls: Array<{ url: string; options: ProbeOptions }> = [];
  const probe: Probe = async (url, options) => {
    calls.push({ url, options });
    return answer(url, options);
  };
  return { check: new ConnectionCheck(config, {}, probe), calls };
}

const refused: ProbeResult = { ok: false, error: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } };

describe('a CA pinned by fingerprint', () => {
  it('finds the certificate in the unverified chain, then verifies the connection with it as the CA', async () => {
    const { check, calls } = checkFor(
      {
        SHIPLOG_ELASTICSEARCH_URL: 'https://es-1:9200',
        SHIPLOG_ELASTICSEARCH_TLS_CA_FINGERPRINT: ca.fingerprint256.toLowerCase(),
      },
      () => ({ ok: true, chain: [leaf, ca] }),
    );
    const trusted = await check.check();
    expect(trusted).toBe(ca.toString());
    expect(calls.map((call) => [call.options.rejectUnauthorized, call.options.ca])).toEqual([
      [false, undefined],
      [true, ca.toString()],
    ]);
  });

  it('refuses a chain without that certificate, listing what the server presented', async () => {
    const { check } = checkFor(
      {
        SHIPLOG_ELASTICSEARCH_URL: 'https://user:pw@es-1:9200',
        SHIPLOG_ELASTICSEARCH_TLS_CA_FINGERPRINT: 'AB'.repeat(32),
      },
      () => ({ ok: true, chain: [leaf] }),
    );
    const error = await check.check().catch((e: Error & { code: string }) => e);
    expect(error).toMatchObject({ code: 'SHIPLOG_ERR_SINK_ES_TLS_FINGERPRINT' });
    expect((error as Error).message).toContain(`es-1 (${leaf.fingerprint256})`);
    expect((error as Error).message).toContain('https://[REDACTED]@es-1:9200');
    expect((error as Error).message).not.toContain('pw');
  });
});

describe('several nodes', () => {
  it('passes over a node that does not answer and checks the next', async () => {
    const { check, calls } = checkFor(
      { SHIPLOG_ELASTICSEARCH_URL: 'https://es-1:9200' },
      (url) => (url.includes('es-1') ? refused : { ok: true, chain: [leaf, ca] }),
      ['https://es-1:9200', 'https://es-2:9200'],
    );
    await expect(check.check()).resolves.toBe(undefined);
    expect(calls.map((call) => call.url)).toEqual(['https://es-1:9200', 'https://es-2:9200']);
  });

  it('reports a TLS problem of the first node that answers', async () => {
    const untrusted: ProbeResult = {
      ok: false,
      error: { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' },
    };
    const { check } = checkFor(
      { SHIPLOG_ELASTICSEARCH_URL: 'https://es-1:9200' },
      (url) => (url.includes('es-1') ? refused : untrusted),
      ['https://es-1:9200', 'https://es-2:9200'],
    );
    await expect(check.check()).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_SINK_ES_TLS_UNTRUSTED',
      message: expect.stringContaining('es-2'),
    });
  });

  it('leaves nodes that all do not answer to the client, unless a pinned CA must be found first', async () => {
    const plain = checkFor({ SHIPLOG_ELASTICSEARCH_URL: 'https://es-1:9200' }, () => refused);
    await expect(plain.check.check()).resolves.toBe(undefined);
    const pinned = checkFor(
      { SHIPLOG_ELASTICSEARCH_URL: 'https://es-1:9200', SHIPLOG_ELASTICSEARCH_TLS_CA_FINGERPRINT: 'AB'.repeat(32) },
      () => refused,
    );
    await expect(pinned.check.check()).rejects.toMatchObject({ code: 'SHIPLOG_ERR_SINK_ES_UNREACHABLE' });
  });
});

describe('plain http', () => {
  it('is not probed before the first request, and after a silent failure tells an HTTPS-only port', async () => {
    const { check, calls } = checkFor({ SHIPLOG_ELASTICSEARCH_URL: 'http://es-1:9200' }, () => ({
      ok: false,
      error: { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', message: 'SSL alert number 116' },
    }));
    await expect(check.check()).resolves.toBe(undefined);
    expect(calls).toEqual([]);
    expect((await check.explain())?.code).toBe('SHIPLOG_ERR_SINK_ES_HTTPS_REQUIRED');
    expect(calls[0]?.url).toBe('https://es-1:9200');
  });

  it('says nothing more when the port does not speak TLS either', async () => {
    const { check } = checkFor({ SHIPLOG_ELASTICSEARCH_URL: 'http://es-1:9200' }, () => refused);
    expect(await check.explain()).toBe(undefined);
  });
});
