// Docker's own `syslog` log driver as a sender, the way sites point
// containers at a syslog server: over UDP (its default format), TCP
// (RFC 3164) and TCP+TLS (RFC 5424, octet-counted, with a client
// certificate). The engine itself sends, so the containers need no network.
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToCompletion } from '../../helpers/docker.ts';
import { esUrl, requireService } from '../../helpers/services.ts';
import {
  type ListeningAgent,
  makeTlsFiles,
  startListeningAgent,
  type TlsFiles,
  waitForDocs,
} from '../../helpers/syslog-agent.ts';
import { tempDir } from '../../helpers/temp.ts';

const ready = requireService('elasticsearch') && requireService('docker');

describe.skipIf(!ready)("Docker's syslog log driver into the listener", () => {
  const run = randomUUID().slice(0, 8);
  const namespace = `syslogdocker${run}`;
  const dir = tempDir('shiplog-syslog-docker-');
  const es = new Client({ node: esUrl() });
  let files: TlsFiles;
  let agent: ListeningAgent;

  beforeAll(async () => {
    files = makeTlsFiles(dir);
    agent = await startListeningAgent({
      dir,
      namespace,
      transports: ['udp', 'tcp', 'tls'],
      tls: files,
      requireClientCert: true,
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await es.close();
  });

  const lines = ['container says one', 'container says zwei 東京', 'container says three'];
  const print = ['sh', '-c', `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')}`];

  async function runWithDriver(tag: string, config: Record<string, string>): Promise<string> {
    const result = await runToCompletion(print, {
      hostConfig: { LogConfig: { Type: 'syslog', Config: { tag, ...config } } },
    });
    expect(result.exitCode).toBe(0);
    return result.id;
  }

  it('over UDP in the driver default format (no hostname, tag[pid])', async () => {
    const tag = `dk-udp-${run}`;
    await runWithDriver(tag, { 'syslog-address': `udp://127.0.0.1:${agent.udp}`, 'syslog-facility': 'local5' });
    const docs = await waitForDocs(es, namespace, { term: { 'log.syslog.appname': tag } }, 3);
    expect(docs.map((d) => d.message).sort()).toEqual([...lines].sort());
    for (const doc of docs) {
      expect(doc.log?.syslog).toMatchObject({ facility: { code: 21, name: 'local5' }, severity: { code: 6 } });
      expect(doc.process?.pid).toEqual(expect.any(Number));
      expect(doc.source?.ip).toBe('127.0.0.1');
      expect(doc.shiplog).not.toHaveProperty('parse_failure');
    }
  });

  it('over TCP in RFC 3164, with the host name', async () => {
    const tag = `dk-tcp-${run}`;
    await runWithDriver(tag, { 'syslog-address': `tcp://127.0.0.1:${agent.tcp}`, 'syslog-format': 'rfc3164' });
    const docs = await waitForDocs(es, namespace, { term: { 'log.syslog.appname': tag } }, 3);
    expect(docs.map((d) => d.message)).toEqual(lines);
    expect(docs[0]?.log?.syslog?.hostname).toEqual(expect.any(String));
    expect(docs[0]?.shiplog.origin.key.startsWith('tcp:')).toBe(true);
  });

  it('over TCP+TLS with a client certificate, in RFC 5424 with octet counting', async () => {
    const tag = `dk-tls-${run}`;
    await runWithDriver(tag, {
      'syslog-address': `tcp+tls://127.0.0.1:${agent.tls}`,
      'syslog-format': 'rfc5424micro',
      'syslog-tls-ca-cert': files.caCert,
      'syslog-tls-cert': files.clientCert,
      'syslog-tls-key': files.clientKey,
    });
    const docs = await waitForDocs(es, namespace, { term: { 'log.syslog.appname': tag } }, 3);
    expect(docs.map((d) => d.message)).toEqual(lines);
    // The driver's RFC 5424 header carries the tag as APP-NAME and MSGID, and the daemon's pid.
    expect(docs[0]?.log?.syslog).toMatchObject({ version: 1, appname: tag, msgid: tag });
    expect(docs[0]?.process?.pid).toEqual(expect.any(Number));
    // rfc5424micro: microseconds survive into @timestamp.
    expect(docs[0]?.['@timestamp']).toMatch(/\.\d{6}Z$/);
    expect(docs[0]?.shiplog.origin.key.startsWith('tls:')).toBe(true);
  });
});
