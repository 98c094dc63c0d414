import { describe, expect, it } from 'vitest';
import type { ContainerFact } from '../../../../../agent/bundle/collect/types.ts';
import { renderSummary, type SummaryInput, summaryFindings } from '../../../../../agent/bundle/summary.ts';

const window = { since: new Date('2026-03-01T00:00:00Z'), until: new Date('2026-03-02T00:00:00Z') };

function container(overrides: Partial<ContainerFact>): ContainerFact {
  return {
    id: 'a'.repeat(64),
    name: 'web',
    image: 'vendor/web:1.2',
    state: 'running',
    exitCode: undefined,
    oomKilled: false,
    restartCount: 0,
    health: undefined,
    startedAt: undefined,
    finishedAt: undefined,
    ...overrides,
  };
}

function input(overrides: Partial<SummaryInput> = {}): SummaryInput {
  return {
    hostName: 'bank-app-01',
    window,
    createdAt: new Date('2026-03-02T00:00:05Z'),
    facts: { containers: [container({})], disks: [{ mount: '/', fsType: 'xfs', sizeBytes: 100, usedBytes: 50 }] },
    collectors: [{ name: 'host', status: 'ok', duration_ms: 12 }],
    ...overrides,
  };
}

describe('summary findings', () => {
  it('is all green on a healthy host', () => {
    const levels = summaryFindings(input()).map((f) => f.level);
    expect(levels.every((level) => level === 'GREEN')).toBe(true);
  });

  it('marks OOM-killed, restart loops, non-zero exits and unhealthy containers RED, worst first', () => {
    const facts = {
      containers: [
        container({ name: 'ok' }),
        container({ name: 'oom', state: 'exited', exitCode: 137, oomKilled: true }),
        container({ name: 'loop', state: 'restarting', restartCount: 5 }),
        container({ name: 'three', restartCount: 3 }),
        container({ name: 'crash', state: 'exited', exitCode: 2 }),
        container({ name: 'clean', state: 'exited', exitCode: 0 }),
        container({ name: 'sick', health: 'unhealthy' }),
      ],
    };
    const findings = summaryFindings(input({ facts }));
    const red = findings.filter((f) => f.level === 'RED').map((f) => f.text);
    expect(red.some((t) => t.includes('oom') && t.includes('OOM'))).toBe(true);
    expect(red.some((t) => t.includes('oom') && t.includes('code 137'))).toBe(true);
    expect(red.some((t) => t.includes('loop') && t.includes('restarting in a loop'))).toBe(true);
    expect(red.some((t) => t.includes('three') && t.includes('restarting in a loop'))).toBe(true);
    expect(red.some((t) => t.includes('crash') && t.includes('code 2'))).toBe(true);
    expect(red.some((t) => t.includes('sick') && t.includes('unhealthy'))).toBe(true);
    expect(red.some((t) => t.includes('clean'))).toBe(false);
    expect(findings[0]?.level).toBe('RED');
  });

  it('flags disks above 90% (AMBER) and 95% (RED)', () => {
    const disks = [
      { mount: '/', fsType: 'xfs', sizeBytes: 100, usedBytes: 90 },
      { mount: '/var', fsType: 'xfs', sizeBytes: 100, usedBytes: 92 },
      { mount: '/data', fsType: 'xfs', sizeBytes: 100, usedBytes: 97 },
    ];
    const findings = summaryFindings(input({ facts: { disks } }));
    expect(findings.find((f) => f.text.includes('/var '))?.level).toBe('AMBER');
    expect(findings.find((f) => f.text.includes('/data '))?.level).toBe('RED');
    expect(findings.some((f) => f.text.startsWith('disk / '))).toBe(false);
  });

  it('flags failed and timed-out collectors, NTP unsynchronised and clock skew AMBER', () => {
    const findings = summaryFindings(
      input({
        collectors: [
          { name: 'syslog_files', status: 'failed', duration_ms: 3 },
          { name: 'container_logs', status: 'timeout', duration_ms: 600_000 },
          { name: 'agent_spool', status: 'skipped', duration_ms: 1 },
        ],
        facts: { clock: { timezone: 'UTC', ntpSynchronized: false, engineSkewMs: 30_000 } },
      }),
    );
    const amber = findings.filter((f) => f.level === 'AMBER').map((f) => f.text);
    expect(amber.some((t) => t.includes('syslog_files failed'))).toBe(true);
    expect(amber.some((t) => t.includes('container_logs did not finish'))).toBe(true);
    expect(amber.some((t) => t.includes('agent_spool'))).toBe(false);
    expect(amber.some((t) => t.includes('not synchronised'))).toBe(true);
    expect(amber.some((t) => t.includes('30 s off'))).toBe(true);
    expect(amber.some((t) => t.includes('containers unknown'))).toBe(true);
  });
});

describe('SUMMARY.txt', () => {
  it('has host, window, findings and the container table, within 80 columns', () => {
    const text = renderSummary(
      input({
        facts: {
          host: { name: 'bank-app-01', os: 'Red Hat Enterprise Linux 9.4 (Plow)', kernel: '5.14.0', uptimeSeconds: 1 },
          containers: [
            container({
              name: 'a-container-name-that-is-much-longer-than-the-column-allows',
              state: 'exited',
              exitCode: 1,
            }),
          ],
        },
        collectors: [
          {
            name: 'syslog_files',
            status: 'failed',
            duration_ms: 1500,
            error: { code: 'SHIPLOG_ERR_COLLECTOR_FAILED', message: `cannot read ${'/var/log/x'.repeat(20)} because` },
          },
        ],
      }),
    );
    expect(text).toContain('bank-app-01');
    expect(text).toContain('2026-03-01T00:00:00Z to 2026-03-02T00:00:00Z');
    expect(text).toMatch(/^RED {4}container a-container-name/m);
    expect(text).toContain('Containers (1)');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
});
