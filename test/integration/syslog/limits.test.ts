// The listener's limits, as a sender and an operator would notice them:
// connections past max_connections are refused and counted, quiet ones are
// closed after idle_timeout, and with the spool full TCP stops reading (the
// sender's own buffers hold the data: nothing is lost once Elasticsearch is
// back) while UDP drops, counted with a reason in /status and /metrics.
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/rsyslog.ts';
import { esUrl, requireService } from '../../helpers/services.ts';
import { type ListeningAgent, startListeningAgent, waitForDocs } from '../../helpers/syslog-agent.ts';
import { tempDir } from '../../helpers/temp.ts';

const ready = requireService('elasticsearch');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

const closed = (socket: net.Socket) =>
  new Promise<void>((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });

describe.skipIf(!ready)('syslog listener limits', () => {
  const run = randomUUID().slice(0, 8);
  const es = new Client({ node: esUrl() });
  const agents: ListeningAgent[] = [];

  afterAll(async () => {
    for (const agent of agents) await agent.stop();
    await es.close();
  });

  it('refuses connections past max_connections and closes idle ones, counting both', async () => {
    const namespace = `sysloglimit${run}`;
    const agent = await startListeningAgent({
      dir: tempDir('shiplog-syslog-limits-'),
      namespace,
      transports: ['tcp'],
      env: { SHIPLOG_SOURCES_SYSLOG_MAX_CONNECTIONS: '2', SHIPLOG_SOURCES_SYSLOG_IDLE_TIMEOUT: '1s' },
    });
    agents.push(agent);
    const first = await connect(agent.tcp);
    const second = await connect(agent.tcp);
    first.on('error', () => undefined);
    second.on('error', () => undefined);
    first.write(`<13>1 - - limit-${run} - - - before the idle close\n`);
    await until('both connections to be counted', async () => {
      const tcp = (await agent.status()).sources.syslog?.listeners[0];
      return tcp?.connections === 2 ? true : undefined;
    });
    const third = net.connect({ host: '127.0.0.1', port: agent.tcp });
    third.on('error', () => undefined);
    await closed(third);
    await Promise.all([closed(first), closed(second)]);
    // The client sees the close before the agent has counted it: wait for the agent's own count.
    const tcp = await until('the closed connections to leave the count', async () => {
      const listener = (await agent.status()).sources.syslog?.listeners[0];
      return listener?.connections === 0 ? listener : undefined;
    });
    expect(tcp).toMatchObject({ refused: 1, idle_closed: 2, connections: 0 });
    const docs = await waitForDocs(es, namespace, { term: { 'log.syslog.appname': `limit-${run}` } }, 1);
    expect(docs[0]?.message).toBe('before the idle close');
  });

  it('counts the datagrams the kernel dropped while the agent could not read, to the last one', async () => {
    const namespace = `syslogkernel${run}`;
    const agent = await startListeningAgent({
      dir: tempDir('shiplog-syslog-kernel-'),
      namespace,
      transports: ['udp'],
      env: { SHIPLOG_SOURCES_SYSLOG_UDP_RECEIVE_BUFFER: '64KiB' },
    });
    agents.push(agent);
    const pid = agent.agent.child.pid;
    if (pid === undefined) throw new Error('the agent has no pid');
    const sent = 3000;
    const udp = dgram.createSocket('udp4');
    // Stopped, the agent reads nothing: the socket's small buffer overflows in the kernel.
    process.kill(pid, 'SIGSTOP');
    try {
      for (let i = 0; i < sent; i++) {
        await new Promise<void>((resolve) =>
          udp.send(`<14>1 - sender kernel-${run} - - - datagram ${i} ${'k'.repeat(200)}`, agent.udp, '127.0.0.1', () =>
            resolve(),
          ),
        );
      }
    } finally {
      process.kill(pid, 'SIGCONT');
      udp.close();
    }
    const listener = await until('every datagram to be received or counted as dropped', async () => {
      const l = (await agent.status()).sources.syslog?.listeners[0];
      return l && l.messages + (l.dropped_kernel ?? 0) === sent ? l : undefined;
    });
    expect(listener.dropped_kernel).toBeGreaterThan(0);
    expect(listener.dropped_backlog).toBe(0);
    const metrics = await agent.metrics();
    expect(metrics).toContain(
      `shiplog_events_dropped_total{component="syslog_udp",reason="receive_buffer_full"} ${listener.dropped_kernel}`,
    );
    const docs = await waitForDocs(
      es,
      namespace,
      { term: { 'log.syslog.appname': `kernel-${run}` } },
      listener.messages,
    );
    expect(docs).toHaveLength(listener.messages);
  });

  it('with the spool full, TCP stops reading and loses nothing; UDP drops and counts', async () => {
    const namespace = `syslogfull${run}`;
    // Elasticsearch behind a relay that is not there yet: the sink cannot deliver, the spool fills.
    const relayPort = await freePort('tcp');
    const target = new URL(esUrl());
    const agent = await startListeningAgent({
      dir: tempDir('shiplog-syslog-full-'),
      namespace,
      transports: ['tcp', 'udp'],
      env: {
        SHIPLOG_ELASTICSEARCH_URL: `http://127.0.0.1:${relayPort}`,
        SHIPLOG_SPOOL_MAX_BYTES: '1MiB',
        SHIPLOG_SPOOL_SEGMENT_BYTES: '256KiB',
        SHIPLOG_SOURCES_SYSLOG_MULTILINE_MODE: 'off',
      },
    });
    agents.push(agent);

    const total = 8000;
    const socket = await connect(agent.tcp);
    const filler = 'f'.repeat(4000);
    const frames: Buffer[] = [];
    for (let i = 0; i < total; i++) {
      const message = `<14>1 - sender full-${run} - - - ${i} ${filler}`;
      frames.push(Buffer.from(`${Buffer.byteLength(message)} ${message}`));
    }
    socket.write(Buffer.concat(frames));
    const paused = await until('TCP reading to pause', async () => {
      const tcp = (await agent.status()).sources.syslog?.listeners.find((l) => l.transport === 'tcp');
      return tcp?.paused ? tcp : undefined;
    });
    expect(paused.messages).toBeLessThan(total);

    const udp = dgram.createSocket('udp4');
    const dropped = await until('UDP drops to be counted', async () => {
      for (let i = 0; i < 50; i++)
        udp.send(`<14>1 - sender udpfull-${run} - - - dropped or not ${i}`, agent.udp, '127.0.0.1');
      const listener = (await agent.status()).sources.syslog?.listeners.find((l) => l.transport === 'udp');
      return (listener?.dropped_backlog ?? 0) > 0 ? listener : undefined;
    });
    udp.close();
    expect(dropped.dropped_backlog).toBeGreaterThan(0);
    const status = await agent.status();
    const udpNow = status.sources.syslog?.listeners.find((l) => l.transport === 'udp');
    // One snapshot: datagrams sent just before may still be arriving.
    expect(status.counters.syslog_udp?.dropped.backlog_full).toBe(udpNow?.dropped_backlog);
    expect(status.health).toBe('degraded');
    const metrics = await agent.metrics();
    expect(metrics).toMatch(/shiplog_events_dropped_total\{component="syslog_udp",reason="backlog_full"\} [1-9]/);

    // Elasticsearch comes back: every TCP message arrives, exactly once.
    const relay = net.createServer((client) => {
      const upstream = net.connect({ host: target.hostname, port: Number(target.port) });
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(relayPort, '127.0.0.1', resolve));
    try {
      const docs = await waitForDocs(es, namespace, { term: { 'log.syslog.appname': `full-${run}` } }, total, 110_000);
      expect(docs).toHaveLength(total);
      expect(new Set(docs.map((d) => Number(d.message.split(' ')[0]))).size).toBe(total);
      expect((await agent.status()).sources.syslog?.listeners.find((l) => l.transport === 'tcp')?.paused).toBe(false);
    } finally {
      socket.destroy();
      await agent.stop();
      relay.close();
    }
  }, 180_000);
});
