// The syslog listener against the senders operators have: util-linux logger
// (UDP, TCP, octet counting, RFC 5424), rsyslog's omfwd, and the
// syslog-client package. Each message must arrive in Elasticsearch with the
// fields its sender meant, and the sender's address in source.*.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import syslog from 'syslog-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRsyslog } from '../../helpers/rsyslog.ts';
import { esUrl, requireService } from '../../helpers/services.ts';
import { type ListeningAgent, startListeningAgent, waitForDocs } from '../../helpers/syslog-agent.ts';
import { tempDir } from '../../helpers/temp.ts';

const ready = requireService('elasticsearch') && requireService('rsyslog');

function logger(args: string[], input?: string): void {
  execFileSync('logger', args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
}

const byAppname = (appname: string) => ({ term: { 'log.syslog.appname': appname } });

describe.skipIf(!ready)('syslog listener with real senders', () => {
  const run = randomUUID().slice(0, 8);
  const namespace = `syslog${run}`;
  const es = new Client({ node: esUrl() });
  let agent: ListeningAgent;

  beforeAll(async () => {
    agent = await startListeningAgent({ dir: tempDir('shiplog-syslog-'), namespace, transports: ['udp', 'tcp'] });
  });

  afterAll(async () => {
    await agent?.stop();
    await es.close();
  });

  it('logger over UDP, RFC 5424 with structured data and a MSGID', async () => {
    const tag = `udp5424-${run}`;
    logger([
      ...['-n', '127.0.0.1', '-P', String(agent.udp), '-d', '--rfc5424', '-t', tag, '-p', 'local3.warning'],
      ...['--msgid', 'TST1', '--sd-id', 'zoo@32473', '--sd-param', 'tiger="hungry"', 'grüße über UDP'],
    ]);
    const [doc] = await waitForDocs(es, namespace, byAppname(tag), 1);
    expect(doc?.message).toBe('grüße über UDP');
    expect(doc?.log?.syslog).toMatchObject({
      version: 1,
      appname: tag,
      msgid: 'TST1',
      facility: { code: 19, name: 'local3' },
      severity: { code: 4, name: 'warning' },
      priority: 156,
      structured_data: { 'zoo@32473': { tiger: 'hungry' } },
    });
    expect(doc?.log?.syslog?.hostname).toEqual(expect.any(String));
    expect(doc?.source?.ip).toBe('127.0.0.1');
    expect(doc?.source?.port).toBeGreaterThan(0);
    expect(doc?.shiplog.origin.source).toBe('syslog');
    expect(doc?.event.dataset).toBe('system.syslog');
    expect(Math.abs(Date.parse(doc?.['@timestamp'] ?? '') - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('logger over TCP, RFC 3164 with LF framing: one connection, messages in order', async () => {
    const tag = `tcp3164-${run}`;
    logger(
      ['-n', '127.0.0.1', '-P', String(agent.tcp), '-T', '--rfc3164', '-t', tag, '-i', '-p', 'auth.err'],
      'first line\nsecond line\nthird line\n',
    );
    const docs = await waitForDocs(es, namespace, byAppname(tag), 3);
    expect(docs.map((d) => d.message)).toEqual(['first line', 'second line', 'third line']);
    for (const doc of docs) {
      expect(doc.log?.syslog).toMatchObject({ facility: { code: 4 }, severity: { code: 3 }, appname: tag });
      expect(doc.process?.pid).toEqual(expect.any(Number));
      expect(doc.source?.ip).toBe('127.0.0.1');
    }
    // One connection: one origin key, positions growing with the bytes.
    expect(new Set(docs.map((d) => d.shiplog.origin.key)).size).toBe(1);
  });

  it('logger over TCP with octet counting, RFC 5424', async () => {
    const tag = `octet-${run}`;
    logger(
      ['-n', '127.0.0.1', '-P', String(agent.tcp), '-T', '--octet-count', '--rfc5424', '-t', tag, '-p', 'daemon.info'],
      'alpha\nβeta 東京\ngamma\n',
    );
    const docs = await waitForDocs(es, namespace, byAppname(tag), 3);
    expect(docs.map((d) => d.message)).toEqual(['alpha', 'βeta 東京', 'gamma']);
    expect(docs[0]?.log?.syslog).toMatchObject({ version: 1, facility: { code: 3 }, severity: { code: 6 } });
  });

  it("rsyslog's omfwd over TCP, octet-counted RFC 5424", async () => {
    const tag = `omfwd-${run}`;
    const dir = tempDir('shiplog-omfwd-');
    const rsyslog = await startRsyslog({
      outFile: join(dir, 'received'),
      extraConfig: `if $inputname == "imtcp" then {
  action(type="omfwd" target="127.0.0.1" port="${agent.tcp}" protocol="tcp"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}`,
    });
    try {
      const lines = Array.from({ length: 50 }, (_, i) => `relayed ${i}`);
      logger(
        ['-n', '127.0.0.1', '-P', String(rsyslog.tcpPort), '-T', '-t', tag, '-p', 'local0.notice'],
        `${lines.join('\n')}\n`,
      );
      const docs = await waitForDocs(es, namespace, byAppname(tag), 50);
      expect(docs.map((d) => d.message).sort()).toEqual([...lines].sort());
      expect(docs[0]?.log?.syslog).toMatchObject({ version: 1, facility: { code: 16 }, severity: { code: 5 } });
    } finally {
      await rsyslog.stop();
    }
  });

  it('the syslog-client package over TCP (RFC 3164) and UDP (RFC 5424)', async () => {
    const tcpTag = `sclient-tcp-${run}`;
    const udpTag = `sclient-udp-${run}`;
    const tcp = syslog.createClient('127.0.0.1', {
      port: agent.tcp,
      transport: syslog.Transport.Tcp,
      syslogHostname: 'app-host-7',
    });
    const udp = syslog.createClient('127.0.0.1', {
      port: agent.udp,
      transport: syslog.Transport.Udp,
      rfc3164: false,
      appName: udpTag,
      syslogHostname: 'app-host-8',
    });
    const send = (client: syslog.Client, message: string, options: syslog.MessageOptions) =>
      new Promise<void>((resolve, reject) =>
        client.log(message, options, (error) => (error ? reject(error) : resolve())),
      );
    try {
      await send(tcp, `${tcpTag}[4711]: payment booked`, {
        facility: syslog.Facility.Local2,
        severity: syslog.Severity.Error,
      });
      await send(udp, 'session opened', { facility: syslog.Facility.Audit, severity: syslog.Severity.Notice });
    } finally {
      tcp.close();
      udp.close();
    }
    const [viaTcp] = await waitForDocs(es, namespace, byAppname(tcpTag), 1);
    expect(viaTcp?.message).toBe('payment booked');
    expect(viaTcp?.log?.syslog).toMatchObject({
      hostname: 'app-host-7',
      procid: '4711',
      facility: { code: 18 },
      severity: { code: 3 },
    });
    expect(viaTcp?.process).toEqual({ name: tcpTag, pid: 4711 });
    const [viaUdp] = await waitForDocs(es, namespace, byAppname(udpTag), 1);
    expect(viaUdp?.message).toBe('session opened');
    expect(viaUdp?.log?.syslog).toMatchObject({ version: 1, hostname: 'app-host-8', facility: { code: 13 } });
    expect(viaUdp?.process?.pid).toBe(process.pid);
  });

  it('keeps malformed, oversize and non-UTF-8 messages, flagged, and the connection stays open', async () => {
    const socket = net.connect({ host: '127.0.0.1', port: agent.tcp });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const write = (data: Buffer | string) => new Promise<void>((resolve) => socket.write(data, () => resolve()));
    const invalid = Buffer.concat([Buffer.from('<13>Jan  1 00:00:00 h1 bytes: a'), Buffer.from([0xff, 0xfe, 0x41])]);
    await write('this is not syslog at all\n');
    await write(`<13>${'x'.repeat(70 * 1024)}\n`);
    await write(Buffer.concat([invalid, Buffer.from('\n')]));
    await write('<14>Jan  2 03:04:05 h1 after[1]: still connected\n');
    const port = socket.localPort;
    const docs = await waitForDocs(es, namespace, { term: { 'source.port': port } }, 4);
    expect(socket.destroyed).toBe(false);
    socket.end();

    const [junk, oversize, bytes, after] = docs;
    expect(junk?.message).toBe('this is not syslog at all');
    expect(junk?.shiplog).toMatchObject({ parse_failure: expect.any(String) });
    expect(oversize?.shiplog.truncated).toBe(true);
    expect(oversize?.tags).toContain('timestamp_from_receipt');
    expect(Buffer.byteLength(oversize?.message ?? '')).toBe(64 * 1024 - 4);
    expect(bytes?.tags).toContain('invalid_utf8');
    expect(Buffer.from(bytes?.event.original ?? '', 'base64').equals(invalid)).toBe(true);
    expect(after?.message).toBe('still connected');

    const status = await agent.status();
    const tcp = status.sources.syslog?.listeners.find((l) => l.transport === 'tcp');
    expect(tcp?.truncated).toBeGreaterThanOrEqual(1);
    expect(tcp?.malformed).toBeGreaterThanOrEqual(1);
  });
});
