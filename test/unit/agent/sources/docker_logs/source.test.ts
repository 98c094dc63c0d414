import { afterEach, describe, expect, it } from 'vitest';
import { dockerClient } from '../../../../../agent/sources/docker_logs/index.ts';
import { MetadataBuilder } from '../../../../../agent/sources/docker_logs/metadata.ts';
import { selection } from '../../../../../agent/sources/docker_logs/source.ts';

const builder = new MetadataBuilder([]);
const container = (name: string, id = `${'ab'.repeat(6)}${'0'.repeat(52)}`) =>
  builder.fromList({ Id: id, Names: [`/${name}`] });

describe('include / exclude', () => {
  it('follows every container when include is empty, except the excluded ones', () => {
    const selected = selection([], ['shiplog-agent', 'build-*']);
    expect(selected(container('payments-api'))).toBe(true);
    expect(selected(container('shiplog-agent'))).toBe(false);
    expect(selected(container('build-42'))).toBe(false);
  });

  it('follows only included names (globs) or id prefixes of 12 characters or more', () => {
    const selected = selection(['payments-*', 'abababababab'], []);
    expect(selected(container('payments-api'))).toBe(true);
    expect(selected(container('other'))).toBe(true);
    expect(selected(container('other', 'f'.repeat(64)))).toBe(false);
  });

  it('lets exclude win over include', () => {
    expect(selection(['payments-*'], ['payments-debug'])(container('payments-debug'))).toBe(false);
  });
});

describe('dockerClient', () => {
  const saved = process.env.DOCKER_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  it('uses a configured unix socket even when DOCKER_HOST names a TCP engine', () => {
    process.env.DOCKER_HOST = 'tcp://10.0.0.5:2375';
    const { modem } = dockerClient('unix:///run/user/1000/docker.sock') as unknown as {
      modem: { socketPath?: string; host?: string };
    };
    expect(modem.socketPath).toBe('/run/user/1000/docker.sock');
    expect(modem.host).toBeUndefined();
  });

  it('reads a TCP address', () => {
    const { modem } = dockerClient('tcp://docker.bank.local:2376') as unknown as {
      modem: { host?: string; port?: string | number; protocol?: string };
    };
    expect([modem.host, String(modem.port), modem.protocol]).toEqual(['docker.bank.local', '2376', 'https']);
  });

  it('honours DOCKER_HOST without a configured host', () => {
    process.env.DOCKER_HOST = 'unix:///tmp/other-docker.sock';
    const { modem } = dockerClient() as unknown as { modem: { socketPath?: string } };
    expect(modem.socketPath).toBe('/tmp/other-docker.sock');
  });
});
