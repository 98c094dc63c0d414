import { describe, expect, it } from 'vitest';
import { clockSkew } from '../../../../collector/analyze/analyzers/clock-skew.ts';
import { diskPressure } from '../../../../collector/analyze/analyzers/disk-pressure.ts';
import { memoryPressure } from '../../../../collector/analyze/analyzers/memory-pressure.ts';
import { analyze, containerLog, craftBundle, createdAt, inspect } from './crafted-bundle.ts';

const GiB = 1024 ** 3;

function hostJson(more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hostname: 'app-01',
    kernel: '5.14.0',
    memory: { total_bytes: 16 * GiB, free_bytes: 8 * GiB },
    clock: {
      now: '2025-06-01T11:59:58.000Z',
      timezone: 'UTC',
      utc_offset_minutes: 0,
      ntp_synchronized: true,
    },
    disks: [],
    ...more,
  };
}

describe('disk-pressure', () => {
  it('names full disks (critical from 95%) and full inode tables, not roomy ones', async () => {
    const crafted = craftBundle({
      'host/host.json': hostJson({
        disks: [
          { mount: '/', type: 'xfs', size_bytes: 100 * GiB, used_bytes: 50 * GiB },
          { mount: '/var/lib/docker', type: 'xfs', size_bytes: 100 * GiB, used_bytes: 97 * GiB },
          { mount: '/data', type: 'ext4', size_bytes: 100 * GiB, used_bytes: 92 * GiB },
          {
            mount: '/spool',
            type: 'ext4',
            size_bytes: 100 * GiB,
            used_bytes: 10 * GiB,
            inodes_total: 1000,
            inodes_free: 20,
          },
        ],
      }),
    });
    const findings = await analyze(crafted, { analyzers: [diskPressure] });
    expect(findings.map((f) => [f.key, f.severity])).toEqual([
      ['disk-pressure:/var/lib/docker', 'critical'],
      ['disk-pressure:inodes:/spool', 'critical'],
      ['disk-pressure:/data', 'warning'],
    ]);
    expect(findings[0]?.title).toBe('disk /var/lib/docker is 97% full (3.0 GiB free of 100.0 GiB)');
    expect(findings[0]?.evidence).toEqual([
      { kind: 'field', file: 'host/host.json', path: '/disks/1/used_bytes', value: 97 * GiB },
      { kind: 'field', file: 'host/host.json', path: '/disks/1/size_bytes', value: 100 * GiB },
    ]);
    expect(findings[1]?.title).toBe('disk /spool has 98% of its inodes used (20 left)');
  });

  it('says nothing without host.json or with a malformed one', async () => {
    expect(await analyze(craftBundle({}), { analyzers: [diskPressure] })).toEqual([]);
    const odd = craftBundle({ 'host/host.json': { disks: [{ mount: '/', size_bytes: 'big' }, null, 7] } });
    expect(await analyze(odd, { analyzers: [diskPressure] })).toEqual([]);
  });
});

describe('memory-pressure', () => {
  const meminfo = (availableKiB: number) =>
    [
      'MemTotal:       16000000 kB',
      'MemFree:          200000 kB',
      `MemAvailable:    ${availableKiB} kB`,
      'Buffers:           10000 kB',
      'Cached:           300000 kB',
      'HugePages_Total:       0',
      '',
    ].join('\n');

  it('reads MemAvailable from meminfo.txt and points at its lines', async () => {
    const crafted = craftBundle({ 'host/host.json': hostJson(), 'host/meminfo.txt': meminfo(640_000) });
    const [low, ...more] = await analyze(crafted, { analyzers: [memoryPressure] });
    expect(more).toEqual([]);
    expect(low).toMatchObject({ key: 'memory-pressure:host', severity: 'critical' });
    expect(low?.title).toBe('the host is short of memory: 4.0% available (625 MiB of 15.3 GiB)');
    expect(low?.evidence).toEqual([
      { kind: 'line', file: 'host/meminfo.txt', line: 1 },
      { kind: 'line', file: 'host/meminfo.txt', line: 3 },
    ]);
  });

  it('is a warning between 5% and 10%, and nothing above', async () => {
    const warn = await analyze(craftBundle({ 'host/meminfo.txt': meminfo(1_200_000) }), {
      analyzers: [memoryPressure],
    });
    expect(warn.map((f) => f.severity)).toEqual(['warning']);
    expect(
      await analyze(craftBundle({ 'host/meminfo.txt': meminfo(4_000_000) }), { analyzers: [memoryPressure] }),
    ).toEqual([]);
  });

  it('falls back to host.json when there is no meminfo.txt', async () => {
    const crafted = craftBundle({
      'host/host.json': hostJson({ memory: { total_bytes: 16 * GiB, free_bytes: 1 * GiB } }),
    });
    const [low] = await analyze(crafted, { analyzers: [memoryPressure] });
    expect(low?.severity).toBe('warning');
    expect(low?.evidence).toContainEqual({
      kind: 'field',
      file: 'host/host.json',
      path: '/memory/free_bytes',
      value: 1 * GiB,
    });
  });
});

describe('clock-skew', () => {
  it('says nothing when the clocks agree and NTP is synchronised', async () => {
    const crafted = craftBundle({
      'host/host.json': hostJson(),
      'docker/info.json': { SystemTime: '2025-06-01T11:59:57.5Z' },
      'containers/api/container.log': containerLog(['started', 'ready'], '2025-06-01T11:59:00Z'),
      'containers/api/inspect.json': inspect('api', {}),
    });
    expect(await analyze(crafted, { analyzers: [clockSkew], receivedAt: '2025-06-02T08:00:00Z' })).toEqual([]);
  });

  it('names an unsynchronised clock, a host clock that jumped, an engine clock that is off and a bundle from the future', async () => {
    const crafted = craftBundle({
      'host/host.json': hostJson({
        clock: { now: '2025-06-01T13:00:00.000Z', timezone: 'UTC', ntp_synchronized: false },
      }),
      'docker/info.json': { SystemTime: '2025-06-01T13:10:00Z' },
    });
    const findings = await analyze(crafted, { analyzers: [clockSkew], receivedAt: '2025-06-01T11:00:00Z' });
    expect(findings.map((f) => f.key).sort()).toEqual([
      'clock-skew:ahead',
      'clock-skew:engine',
      'clock-skew:host',
      'clock-skew:ntp',
    ]);
    expect(findings.find((f) => f.key === 'clock-skew:ntp')?.evidence).toEqual([
      { kind: 'field', file: 'host/host.json', path: '/clock/ntp_synchronized', value: false },
    ]);
    expect(findings.find((f) => f.key === 'clock-skew:engine')?.title).toBe(
      "the Docker engine's clock is 10 min ahead of the host's",
    );
    expect(findings.find((f) => f.key === 'clock-skew:ahead')?.title).toContain('at least 60 min ahead');
    expect(findings.find((f) => f.key === 'clock-skew:host')?.evidence).toContainEqual({
      kind: 'field',
      file: 'manifest.json',
      path: '/created_at',
      value: createdAt,
    });
  });

  it('counts log lines stamped after the bundle was made, per container, and recognises a time zone mismatch', async () => {
    const crafted = craftBundle({
      'containers/api/inspect.json': inspect('api', {}),
      'containers/api/container.log': containerLog(
        ['fine', 'fine too', 'from the future', 'also from the future'],
        '2025-06-01T12:09:58Z',
      ).replace(/^2025-06-01T12:09:5[89]\.000Z/gm, '2025-06-01T11:00:00.000Z'),
      // Syslog in local time read as UTC: two hours ahead.
      'syslog/messages':
        '2025-06-01T13:59:00+00:00 app-01 cron[1]: job done\n2025-06-01T11:00:00+00:00 app-01 cron[1]: ok\n',
    });
    const findings = await analyze(crafted, { analyzers: [clockSkew] });
    const api = findings.find((f) => f.key === 'clock-skew:future:api');
    expect(api?.title).toBe('2 lines of container api are stamped after the bundle was made (up to 10 min ahead)');
    expect(api?.evidence).toEqual([
      { kind: 'line', file: 'containers/api/container.log', line: 3 },
      { kind: 'line', file: 'containers/api/container.log', line: 4 },
    ]);
    const syslog = findings.find((f) => f.key === 'clock-skew:future:syslog/messages');
    expect(syslog?.evidence).toEqual([{ kind: 'line', file: 'syslog/messages', line: 1 }]);
    expect(syslog?.detail).toContain('time zone');
  });
});
