// The forward to the customer's SIEM, with rsyslog as the SIEM: messages go
// into the agent's own listener, through its spool, and out by TCP, TLS or UDP
// to a real rsyslogd writing what it receives to a file. Across a restart of
// rsyslog every line arrives; a SIEM that is not there never holds
// Elasticsearch back.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, type Rsyslog, startRsyslog } from '../../helpers/rsyslog.ts';
import { esUrl, requireService } from '../../helpers/services.ts';
import { type ListeningAgent, makeTlsFiles, startListeningAgent, waitForDocs } from '../../helpers/syslog-agent.ts';
import { tempDir } from '../../helpers/temp.ts';

const ready = requireService('elasticsearch') && requireService('rsyslog');

interface ForwardStatus {
  sinks: Record<
    string,
    { state: string; delivered: number; unconfirmed: number; lastError?: { code: string; message: string } }
  >;
  spool: { readers: Record<string, { lagRecords: number }> };
}

/** One TCP connection into the agent's listener, octet-counted RFC 5424. */
async function sendLines(port: number, tag: string, from: number, to: number, pauseEvery = 0): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const broken = new Promise<never>((_, reject) => socket.once('error', reject));
  broken.catch(() => {});
  for (let i = from; i < to; i++) {
    const message = `<14>1 2026-12-05T03:00:00.000Z sender ${tag} - - - ${tag} line ${i}`;
    if (!socket.write(`${Buffer.byteLength(message)} ${message}`)) {
      await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), broken]);
    }
    if (pauseEvery > 0 && i % pauseEvery === pauseEvery - 1) await sleep(20);
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

/** What rsyslog wrote: for every `TAG line N`, the event_ids it arrived with (one per copy). */
function received(file: string, tag: string): Map<number, string[]> {
  const copies = new Map<number, string[]>();
  if (!existsSync(file)) return copies;
  const pattern = new RegExp(`event_id="([^"]+)".* ${tag} line (\\d+)$`);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = pattern.exec(line);
    if (!match) continue;
    const n = Number(match[2]);
    copies.set(n, [...(copies.get(n) ?? []), match[1] as string]);
  }
  return copies;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe.skipIf(!ready)('forwarding to a SIEM over syslog (rsyslog as the receiver)', () => {
  const run = randomUUID().slice(0, 8);
  const dir = tempDir('shiplog-forward-');
  const es = new Client({ node: esUrl() });
  const agents: ListeningAgent[] = [];
  const receivers: Rsyslog[] = [];

  afterAll(async () => {
    await Promise.allSettled(agents.map((agent) => agent.stop()));
    await Promise.allSettled(receivers.map((receiver) => receiver.stop()));
    await es.close();
  });

  async function agentForwardingTo(name: string, env: NodeJS.ProcessEnv): Promise<ListeningAgent> {
    mkdirSync(join(dir, name));
    const agent = await startListeningAgent({
      dir: join(dir, name),
      namespace: `fwd${name}${run}`,
      transports: ['tcp'],
      env: { SHIPLOG_SYSLOG_FORWARD_CONFIRM_AFTER: '300ms', ...env },
    });
    agents.push(agent);
    return agent;
  }

  async function status(agent: ListeningAgent): Promise<ForwardStatus> {
    return (await (await fetch(`${agent.statusUrl}/status`)).json()) as ForwardStatus;
  }

  it('delivers every line over TCP across a restart of rsyslog, none lost, a copy only with its event_id', async () => {
    const tag = `restart${run}`;
    const outFile = join(dir, 'restart-received');
    const tcpPort = await freePort('tcp');
    const udpPort = await freePort('udp');
    const first = await startRsyslog({ outFile, tcpPort, udpPort, template: '%rawmsg%\n' });
    receivers.push(first);
    const agent = await agentForwardingTo('restart', { SHIPLOG_SYSLOG_FORWARD_ADDRESS: `127.0.0.1:${tcpPort}` });

    const total = 6000;
    const sending = sendLines(agent.tcp, tag, 0, total, 100);
    await until('the first lines at rsyslog', () => (received(outFile, tag).size > 500 ? true : undefined));
    await first.stop();
    const gap = received(outFile, tag).size;
    await sleep(1500);
    const second = await startRsyslog({ outFile, tcpPort, udpPort, template: '%rawmsg%\n' });
    receivers.push(second);
    await sending;

    const copies = await until('every line at rsyslog', () => {
      const seen = received(outFile, tag);
      return seen.size === total ? seen : undefined;
    });
    // The restart fell in the middle of the flow, not before or after it.
    expect(gap).toBeLessThan(total);
    for (let i = 0; i < total; i++) expect(copies.get(i), `line ${i}`).toBeDefined();
    // A line seen twice was one the agent could not know arrived: both copies carry the same event_id.
    const twice = [...copies.values()].filter((ids) => ids.length > 1);
    for (const ids of twice) expect(new Set(ids).size).toBe(1);
    // Only what the agent said it sent again can arrive twice. rsyslog closes cleanly on a restart when
    // it had read everything, and then only the last moments before its FIN are sent again; when it
    // closes with unread data (a reset, more likely on a loaded machine) the whole unconfirmed window is.
    const resent = readFileSync(join(dir, 'restart', 'agent.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('SHIPLOG_ERR_SINK_SYSLOG_CONNECTION_LOST'))
      .map((line) => Number(/ended with (\d+) event/.exec(line)?.[1] ?? Number.NaN));
    expect(resent.every(Number.isFinite)).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(resent.reduce((sum, n) => sum + n, 0));

    const after = await until('the forward to confirm everything', async () => {
      const current = await status(agent);
      return current.spool.readers.syslog_forward?.lagRecords === 0 ? current : undefined;
    });
    expect(after.sinks.syslog_forward?.state).toBe('healthy');
    expect(after.sinks.syslog_forward?.lastError?.code).toMatch(
      /^SHIPLOG_ERR_SINK_SYSLOG_(CONNECTION_LOST|UNREACHABLE)$/,
    );
    // Elasticsearch got each line exactly once all along.
    await waitForDocs(es, `fwdrestart${run}`, { match_phrase: { message: tag } }, total);
  });

  it('keeps shipping to Elasticsearch while the SIEM is away, and the SIEM gets everything when it comes', async () => {
    const tag = `away${run}`;
    const outFile = join(dir, 'away-received');
    const tcpPort = await freePort('tcp');
    const agent = await agentForwardingTo('away', { SHIPLOG_SYSLOG_FORWARD_ADDRESS: `127.0.0.1:${tcpPort}` });
    await sendLines(agent.tcp, tag, 0, 200);

    const docs = await waitForDocs(es, `fwdaway${run}`, { match_phrase: { message: tag } }, 200);
    expect(docs).toHaveLength(200);
    const waiting = await until('the forward to report the SIEM unreachable', async () => {
      const current = await status(agent);
      return current.sinks.syslog_forward?.lastError ? current : undefined;
    });
    expect(waiting.sinks.syslog_forward?.lastError?.code).toBe('SHIPLOG_ERR_SINK_SYSLOG_UNREACHABLE');
    expect(waiting.sinks.syslog_forward?.lastError?.message).toContain(`127.0.0.1:${tcpPort}`);
    expect(waiting.spool.readers.syslog_forward?.lagRecords).toBe(200);
    expect(waiting.spool.readers.elasticsearch?.lagRecords).toBe(0);

    receivers.push(await startRsyslog({ outFile, tcpPort, template: '%rawmsg%\n' }));
    const copies = await until('the held lines at rsyslog', () => {
      const seen = received(outFile, tag);
      return seen.size === 200 ? seen : undefined;
    });
    expect([...copies.values()].every((ids) => ids.length === 1)).toBe(true);
  });

  it('speaks TLS with a client certificate to an rsyslog that requires one, and names a refused certificate', async () => {
    const tag = `tls${run}`;
    mkdirSync(join(dir, 'certs'));
    const files = makeTlsFiles(join(dir, 'certs'));
    const outFile = join(dir, 'tls-received');
    const tlsPort = await freePort('tcp');
    receivers.push(
      await startRsyslog({
        outFile,
        template: '%rawmsg%\n',
        extraConfig: `global(DefaultNetstreamDriverCAFile="${files.caCert}"
       DefaultNetstreamDriverCertFile="${files.serverCert}"
       DefaultNetstreamDriverKeyFile="${files.serverKey}")
input(type="imtcp" address="127.0.0.1" port="${tlsPort}" StreamDriver.Name="gtls" StreamDriver.Mode="1"
      StreamDriver.AuthMode="x509/certvalid")`,
      }),
    );
    const tlsEnv = {
      SHIPLOG_SYSLOG_FORWARD_ADDRESS: `127.0.0.1:${tlsPort}`,
      SHIPLOG_SYSLOG_FORWARD_TRANSPORT: 'tls',
      SHIPLOG_SYSLOG_FORWARD_TLS_CA: files.caCert,
    };
    const good = await agentForwardingTo('tls', {
      ...tlsEnv,
      SHIPLOG_SYSLOG_FORWARD_TLS_CERT: files.clientCert,
      SHIPLOG_SYSLOG_FORWARD_TLS_KEY: files.clientKey,
    });
    await sendLines(good.tcp, tag, 0, 300);
    const copies = await until('every TLS line at rsyslog', () => {
      const seen = received(outFile, tag);
      return seen.size === 300 ? seen : undefined;
    });
    expect(copies.size).toBe(300);
    const line = readFileSync(outFile, 'utf8')
      .split('\n')
      .find((l) => l.endsWith(`${tag} line 7`));
    expect(line).toMatch(/^<14>1 2026-12-05T03:00:00(\.0+)?Z sender /);
    expect(line).toContain('[shiplog@32473 event_id="');

    const rogue = await agentForwardingTo('tlsrogue', {
      ...tlsEnv,
      SHIPLOG_SYSLOG_FORWARD_TLS_CERT: files.rogueCert,
      SHIPLOG_SYSLOG_FORWARD_TLS_KEY: files.rogueKey,
    });
    await sendLines(rogue.tcp, `rogue${tag}`, 0, 5);
    const refused = await until('the refused certificate to be reported', async () => {
      const current = await status(rogue);
      return current.sinks.syslog_forward?.lastError ? current : undefined;
    });
    expect(refused.sinks.syslog_forward?.lastError?.code).toMatch(/^SHIPLOG_ERR_SINK_SYSLOG_(TLS|CONNECTION_LOST)$/);
    expect(refused.spool.readers.syslog_forward?.lagRecords).toBe(5);
    expect(received(outFile, `rogue${tag}`).size).toBe(0);
  });

  it('sends RFC 3164 over UDP that rsyslog parses into host, tag and message', async () => {
    const tag = `bsd${run}`;
    const outFile = join(dir, 'udp-received');
    const receiver = await startRsyslog({
      outFile,
      template: '%hostname%|%syslogtag%|%msg%|%syslogfacility-text%.%syslogseverity-text%\n',
    });
    receivers.push(receiver);
    const agent = await agentForwardingTo('udp', {
      SHIPLOG_SYSLOG_FORWARD_ADDRESS: `127.0.0.1:${receiver.udpPort}`,
      SHIPLOG_SYSLOG_FORWARD_TRANSPORT: 'udp',
      SHIPLOG_SYSLOG_FORWARD_FORMAT: 'rfc3164',
    });
    await sendLines(agent.tcp, tag, 0, 50);
    const lines = await until('the UDP lines at rsyslog', () => {
      const got = existsSync(outFile) ? readFileSync(outFile, 'utf8').trim().split('\n') : [];
      return got.length >= 50 ? got : undefined;
    });
    expect(lines).toHaveLength(50);
    expect(lines[0]).toMatch(new RegExp(`^sender\\|${tag}:\\| ?${tag} line \\d+\\|user\\.info$`));
  });
});
