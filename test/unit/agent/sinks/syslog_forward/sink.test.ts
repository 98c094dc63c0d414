// The forward sink against a TCP receiver in this process that misbehaves on
// purpose: it resets connections mid-stream, closes cleanly, or is not there.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Counters } from '../../../../../agent/pipeline/counters.ts';
import { plannedSinks } from '../../../../../agent/sinks/registry.ts';
import { SyslogForwardSink } from '../../../../../agent/sinks/syslog_forward/sink.ts';
import type { AgentConfig } from '../../../../../schemas/agent-config.ts';
import type { LogEvent } from '../../../../../schemas/log-event.ts';
import { tempDir } from '../../../../helpers/temp.ts';

const dir = tempDir('shiplog-forward-unit-');

function record(n: number): string {
  const event: LogEvent = {
    '@timestamp': '2026-12-05T03:00:00.000Z',
    message: `event ${n}`,
    event: { dataset: 'system.syslog' },
    host: { name: 'h' },
    shiplog: { id: `id-${n}`, origin: { source: 'file', key: 'k', position: String(n), seq: 0 } },
  };
  return JSON.stringify(event);
}

interface Receiver {
  port: number;
  /** Event numbers in arrival order, one entry per copy received. */
  seen: number[];
  connections: number;
  close(): Promise<void>;
}

/** A receiver that hands each connection to `onConnection` and parses octet-counted frames. */
async function receiver(onConnection: (socket: net.Socket, index: number) => void = () => {}): Promise<Receiver> {
  const state: Receiver = { port: 0, seen: [], connections: 0, close: async () => {} };
  const open = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    onConnection(socket, state.connections++);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        const space = buffer.indexOf(' ');
        if (space < 0) break;
        const length = Number(buffer.slice(0, space));
        if (buffer.length < space + 1 + length) break;
        const frame = buffer.slice(space + 1, space + 1 + length);
        buffer = buffer.slice(space + 1 + length);
        const match = / event (\d+)$/.exec(frame);
        if (match) state.seen.push(Number(match[1]));
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      for (const socket of open) socket.destroy();
    });
  return state;
}

const sinks: SyslogForwardSink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
});

function sinkTo(port: number, overrides: Partial<AgentConfig['syslog_forward'] & object> = {}): SyslogForwardSink {
  const config = {
    address: `127.0.0.1:${port}`,
    transport: 'tcp',
    format: 'rfc5424',
    framing: 'octet_counting',
    facility: 'user',
    sd_id: 'shiplog@32473',
    max_message_bytes: '64KiB',
    confirm_after: '100ms',
    batch_events: 100,
    batch_bytes: '1MiB',
    concurrency: 4,
    ...overrides,
  } as NonNullable<AgentConfig['syslog_forward']>;
  // Backoff shortened: the retry schedule itself is tested in decisions.test.ts.
  const sink = new SyslogForwardSink({
    config,
    dataDir: dir,
    telemetry: new Counters(),
    wait: (_ms, signal) => sleep(20, undefined, { signal }),
  });
  sinks.push(sink);
  return sink;
}

const batch = (from: number, count: number) => Array.from({ length: count }, (_, i) => record(from + i));

describe('syslog forward sink', () => {
  it('resolves a batch only after the connection stood confirm_after past its write', async () => {
    const target = await receiver();
    const sink = sinkTo(target.port, { confirm_after: '300ms' });
    const started = Date.now();
    await sink.deliverRecords(batch(0, 10));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(target.seen).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(sink.health()).toMatchObject({ state: 'healthy', delivered: 10, unconfirmed: 0 });
    await target.close();
  });

  it('sends again, in order, what a reset connection had not confirmed, and loses nothing', async () => {
    // The first connection is reset (RST) after its first bytes: the receiver may or may not have read them.
    const target = await receiver((socket, index) => {
      if (index === 0) socket.once('data', () => socket.resetAndDestroy());
    });
    const sink = sinkTo(target.port);
    const deliveries = [sink.deliverRecords(batch(0, 50)), sink.deliverRecords(batch(50, 50))];
    await Promise.all(deliveries);
    expect(new Set(target.seen)).toEqual(new Set(Array.from({ length: 100 }, (_, i) => i)));
    expect(target.connections).toBe(2);
    const second = target.seen.slice(target.seen.lastIndexOf(0));
    expect(second).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(sink.health().lastError?.code).toBe('SHIPLOG_ERR_SINK_SYSLOG_CONNECTION_LOST');
    expect(sink.health().retries).toBeGreaterThan(0);
    await target.close();
  });

  it('waits, reporting the receiver unreachable, and delivers once it listens', async () => {
    const probe = await receiver();
    const port = probe.port;
    await probe.close();
    const sink = sinkTo(port);
    const delivery = sink.deliverRecords(batch(0, 5));
    await sleep(200);
    expect(sink.health()).toMatchObject({ state: 'retrying', queued: 5, connected: false });
    expect(sink.health().lastError?.code).toBe('SHIPLOG_ERR_SINK_SYSLOG_UNREACHABLE');
    expect(sink.health().lastError?.message).toContain(`127.0.0.1:${port}`);

    const server = net.createServer();
    const seen: string[] = [];
    server.on('connection', (socket) => socket.on('data', (d) => seen.push(d.toString())));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await delivery;
    expect(seen.join('')).toContain('event 4');
    await sink.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('leaves a batch to the spool when the runner gives up on it, and never resolves it as delivered', async () => {
    const probe = await receiver();
    await probe.close();
    const sink = sinkTo(probe.port);
    const abort = new AbortController();
    const delivery = sink.deliverRecords(batch(0, 3), abort.signal);
    abort.abort(new Error('stopping'));
    await expect(delivery).rejects.toThrow('stopping');
    expect(sink.health()).toMatchObject({ delivered: 0, queued: 0 });
  });

  it('waits with backoff on a UDP receiver name that does not resolve, instead of failing the batch', async () => {
    const sink = sinkTo(1, { address: 'no-such-siem.invalid:514', transport: 'udp' });
    const abort = new AbortController();
    const delivery = sink.deliverRecords(batch(0, 2), abort.signal);
    await sleep(300);
    expect(sink.health()).toMatchObject({ state: 'retrying', delivered: 0 });
    expect(sink.health().retries).toBeGreaterThan(1);
    expect(sink.health().lastError?.code).toBe('SHIPLOG_ERR_SINK_SYSLOG_UNREACHABLE');
    // Given up on, the batch is not delivered: the runner leaves it to the spool.
    abort.abort(new Error('stopping'));
    await expect(delivery).rejects.toThrow();
    expect(sink.health().delivered).toBe(0);
  });

  it('refuses to start on a TLS file it cannot read, naming the setting and the file', () => {
    expect(() => sinkTo(1, { transport: 'tls', tls: { ca: '/nonexistent/siem-ca.pem', verify: true } })).toThrow(
      expect.objectContaining({
        code: 'SHIPLOG_ERR_SINK_SYSLOG_TLS_FILE',
        message: expect.stringContaining('syslog_forward.tls.ca file /nonexistent/siem-ca.pem'),
      }),
    );
  });

  it('dead-letters a record that is not an event and delivers the rest', async () => {
    const target = await receiver();
    const sink = sinkTo(target.port, { confirm_after: '10ms' });
    const report = await sink.deliverRecords([record(1), '{not json', record(2)]);
    expect(report).toEqual({ delivered: 2, duplicates: 0, rejected: 1 });
    expect(target.seen).toEqual([1, 2]);
    await target.close();
  });
});

describe('sink registry', () => {
  it('plans one sink per configured section, each with its own spool reader and batching', () => {
    const config = {
      elasticsearch: { url: 'https://user:pw@es:9200', batch_events: 500, batch_bytes: '5MiB', concurrency: 2 },
      syslog_forward: {
        address: 'siem:6514',
        transport: 'tls',
        batch_events: 100,
        batch_bytes: '1MiB',
        concurrency: 4,
      },
    } as unknown as AgentConfig;
    const plans = plannedSinks(config);
    expect(plans.map((plan) => [plan.name, plan.target, plan.batching])).toEqual([
      ['elasticsearch', 'https://[REDACTED]@es:9200', { maxEvents: 500, maxBytes: 5 * 1024 * 1024, concurrency: 2 }],
      ['syslog_forward', 'tls://siem:6514', { maxEvents: 100, maxBytes: 1024 * 1024, concurrency: 4 }],
    ]);
    expect(plannedSinks({} as AgentConfig)).toEqual([]);
  });
});
