// RFC 5425 TLS with client certificates required: rsyslog's omfwd through
// rsyslog-gnutls with a certificate from the site's CA gets its messages
// into Elasticsearch; a client without a certificate, or with one from
// another CA, is refused at the handshake and counted.

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRsyslog } from '../../helpers/rsyslog.ts';
import { esUrl, requireService } from '../../helpers/services.ts';
import {
  type ListeningAgent,
  makeTlsFiles,
  startListeningAgent,
  type TlsFiles,
  waitForDocs,
} from '../../helpers/syslog-agent.ts';
import { tempDir } from '../../helpers/temp.ts';

const ready = requireService('elasticsearch') && requireService('rsyslog');

/** Resolves with the error of a handshake that fails, or undefined once one succeeds and a message is written. */
function tlsSend(port: number, options: tls.ConnectionOptions, message: string): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
      socket.write(`${Buffer.byteLength(message)} ${message}`, () => {
        socket.end();
      });
    });
    // TLS 1.3 reports a refused client certificate after the handshake, on the first read.
    socket.on('error', (error) => resolve(error));
    socket.on('close', () => resolve(undefined));
    socket.resume();
  });
}

describe.skipIf(!ready)('syslog listener over TLS with required client certificates', () => {
  const run = randomUUID().slice(0, 8);
  const namespace = `syslogtls${run}`;
  const dir = tempDir('shiplog-syslog-tls-');
  const es = new Client({ node: esUrl() });
  let files: TlsFiles;
  let agent: ListeningAgent;

  beforeAll(async () => {
    files = makeTlsFiles(dir);
    agent = await startListeningAgent({ dir, namespace, transports: ['tls'], tls: files, requireClientCert: true });
  });

  afterAll(async () => {
    await agent?.stop();
    await es.close();
  });

  it("rsyslog's omfwd with gtls and the site's client certificate delivers every message", async () => {
    const tag = `gtls-${run}`;
    const rsyslog = await startRsyslog({
      outFile: join(dir, 'rsyslog-received'),
      extraConfig: `global(DefaultNetstreamDriverCAFile="${files.caCert}"
       DefaultNetstreamDriverCertFile="${files.clientCert}"
       DefaultNetstreamDriverKeyFile="${files.clientKey}")
if $inputname == "imtcp" then {
  action(type="omfwd" target="127.0.0.1" port="${agent.tls}" protocol="tcp"
         StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}`,
    });
    try {
      const lines = Array.from({ length: 20 }, (_, i) => `over tls ${i}`);
      execFileSync(
        'logger',
        ['-n', '127.0.0.1', '-P', String(rsyslog.tcpPort), '-T', '-t', tag, '-p', 'authpriv.info'],
        {
          input: `${lines.join('\n')}\n`,
        },
      );
      const docs = await waitForDocs(es, namespace, { term: { 'log.syslog.appname': tag } }, 20);
      expect(docs.map((d) => d.message).sort()).toEqual([...lines].sort());
      expect(docs[0]?.log?.syslog).toMatchObject({ facility: { code: 10 }, severity: { code: 6 } });
      expect(docs[0]?.source?.ip).toBe('127.0.0.1');
      expect(docs[0]?.shiplog.origin.key.startsWith('tls:')).toBe(true);
    } finally {
      await rsyslog.stop();
    }
  });

  it('refuses a client without a certificate and one from another CA, and counts both', async () => {
    const ca = readFileSync(files.caCert);
    const before = (await agent.status()).sources.syslog?.listeners[0]?.handshake_failed ?? 0;
    const tag = `refused-${run}`;
    const message = `<13>1 - - ${tag} - - - must not arrive`;
    // TLS 1.2, where the server judges the client certificate inside the handshake, so the
    // client learns of the refusal before it could send; under TLS 1.3 it may have sent and
    // closed first (the server's count and what arrives in Elasticsearch say the same).
    const bare = await tlsSend(agent.tls, { ca, maxVersion: 'TLSv1.2' }, message);
    expect(bare).toBeInstanceOf(Error);
    const rogue = await tlsSend(
      agent.tls,
      { ca, cert: readFileSync(files.rogueCert), key: readFileSync(files.rogueKey), maxVersion: 'TLSv1.2' },
      message,
    );
    expect(rogue).toBeInstanceOf(Error);
    await tlsSend(agent.tls, { ca, cert: readFileSync(files.rogueCert), key: readFileSync(files.rogueKey) }, message);
    for (;;) {
      const failed = (await agent.status()).sources.syslog?.listeners[0]?.handshake_failed ?? 0;
      if (failed >= before + 3) break;
      await sleep(100);
    }
    // A good client after them is served, and only its message arrives.
    const good = await tlsSend(
      agent.tls,
      { ca, cert: readFileSync(files.clientCert), key: readFileSync(files.clientKey) },
      `<13>1 - - ${tag} - - - the good one`,
    );
    expect(good).toBeUndefined();
    const docs = await waitForDocs(es, namespace, { term: { 'log.syslog.appname': tag } }, 1);
    expect(docs.map((d) => d.message)).toEqual(['the good one']);
    expect(docs[0]?.tags).toContain('timestamp_from_receipt');
  });
});
