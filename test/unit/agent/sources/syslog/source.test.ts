// What an operator sees when the listener's settings cannot work: one coded
// error naming the setting, at start-up, never a half-started agent.
import net from 'node:net';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { Counters } from '../../../../../agent/pipeline/counters.ts';
import type { EventWriter } from '../../../../../agent/pipeline/types.ts';
import { SyslogSource } from '../../../../../agent/sources/syslog/index.ts';
import { type SyslogSourceConfig, SyslogSourceSchema } from '../../../../../schemas/agent-config.ts';

const config = (overrides: Record<string, unknown>): SyslogSourceConfig =>
  Value.Default(SyslogSourceSchema, structuredClone(overrides)) as SyslogSourceConfig;

// Never called: these sources fail before anything is received.
const writer: EventWriter = {
  write: () => Promise.reject(new Error('unexpected')),
  writeRecords: () => Promise.reject(new Error('unexpected')),
};

const source = (overrides: Record<string, unknown>) =>
  new SyslogSource({ config: config(overrides), writer, telemetry: new Counters(), hostName: 'h1' });

describe('syslog source settings', () => {
  it('is not configured until a listen address is set', () => {
    expect(source({}).configured).toBe(false);
    expect(source({ udp: { listen: '127.0.0.1:0' } }).configured).toBe(true);
  });

  it('refuses TLS without a certificate, naming the setting', () => {
    expect(() => source({ tls: { listen: '127.0.0.1:0' } })).toThrow(
      expect.objectContaining({ code: 'SHIPLOG_ERR_SYSLOG_TLS_FILE', message: expect.stringContaining('cert_file') }),
    );
    expect(() => source({ tls: { listen: '127.0.0.1:0', cert_file: '/nonexistent.pem', key_file: '/x' } })).toThrow(
      expect.objectContaining({ code: 'SHIPLOG_ERR_SYSLOG_TLS_FILE', message: expect.stringContaining('ENOENT') }),
    );
  });

  it('refuses a zone the system does not know', () => {
    expect(() => source({ timezone: 'Mars/Olympus_Mons', tcp: { listen: '127.0.0.1:0' } })).toThrow(
      expect.objectContaining({ code: 'SHIPLOG_ERR_SYSLOG_TIMEZONE_INVALID' }),
    );
  });

  it('says which listener cannot bind, and closes the ones that did', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as net.AddressInfo;
    try {
      const s = source({ udp: { listen: '127.0.0.1:0' }, tcp: { listen: `127.0.0.1:${port}` } });
      await expect(s.start()).rejects.toMatchObject({
        code: 'SHIPLOG_ERR_SYSLOG_LISTEN',
        message: expect.stringContaining('EADDRINUSE'),
      });
      // The UDP socket bound first was released: the same source can be stopped without a leak.
      await s.stop(100);
    } finally {
      taken.close();
    }
  });

  it('reports the addresses the kernel gave for port 0', async () => {
    const s = source({ udp: { listen: '127.0.0.1:0' }, tcp: { listen: '127.0.0.1:0' } });
    await s.start();
    try {
      const { udp, tcp } = s.addresses();
      expect(udp).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
      expect(tcp).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
      expect(s.status().listeners.map((l) => l.transport)).toEqual(['udp', 'tcp']);
    } finally {
      await s.stop(100);
    }
  });
});
