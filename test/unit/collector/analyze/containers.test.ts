import { describe, expect, it } from 'vitest';
import { exitedNonzero } from '../../../../collector/analyze/analyzers/exited-nonzero.ts';
import { oomKilled, parseKernelLine } from '../../../../collector/analyze/analyzers/oom-killed.ts';
import { restartLoop } from '../../../../collector/analyze/analyzers/restart-loop.ts';
import { unhealthy } from '../../../../collector/analyze/analyzers/unhealthy.ts';
import { analyze, byAnalyzer, craftBundle, inspect } from './crafted-bundle.ts';

const containerAnalyzers = [restartLoop, oomKilled, unhealthy, exitedNonzero];

describe('container analyzers on inspect.json', () => {
  const bundle = () =>
    craftBundle({
      'containers/api/inspect.json': inspect(
        'api',
        { Status: 'restarting', Restarting: true, ExitCode: 3 },
        { restarts: 7, policy: 'always' },
      ),
      'containers/ledger/inspect.json': inspect(
        'ledger',
        { Status: 'exited', Running: false, ExitCode: 137, OOMKilled: true },
        { memory: 64 * 1024 * 1024 },
      ),
      'containers/web/inspect.json': inspect('web', {
        Health: {
          Status: 'unhealthy',
          FailingStreak: 4,
          Log: [
            { Start: '2025-06-01T11:59:00Z', End: '2025-06-01T11:59:01Z', ExitCode: 1, Output: 'ok\n' },
            {
              Start: '2025-06-01T11:59:30Z',
              End: '2025-06-01T11:59:31Z',
              ExitCode: 1,
              Output: 'curl: (7) Failed to connect to localhost port 8080: Connection refused\n',
            },
          ],
        },
      }),
      'containers/migrate/inspect.json': inspect('migrate', { Status: 'exited', Running: false, ExitCode: 2 }),
      'containers/job/inspect.json': inspect('job', { Status: 'exited', Running: false, ExitCode: 0 }),
      'containers/healthy/inspect.json': inspect('healthy', {
        Health: { Status: 'healthy', FailingStreak: 0, Log: [] },
      }),
      'containers/flaky/inspect.json': inspect('flaky', { Status: 'running' }, { restarts: 2 }),
    });

  it('names a restart loop with its count, exit code and policy, pointing at the fields', async () => {
    const findings = byAnalyzer(await analyze(bundle(), { analyzers: containerAnalyzers }), 'restart-loop');
    expect(findings).toHaveLength(1);
    const [loop] = findings;
    expect(loop).toMatchObject({ severity: 'critical', key: 'restart-loop:api' });
    expect(loop?.title).toBe('container api is restarting in a loop (restarted 7 times, last exit code 3)');
    expect(loop?.detail).toContain('Restart policy: always');
    expect(loop?.evidence).toEqual(
      expect.arrayContaining([
        { kind: 'field', file: 'containers/api/inspect.json', path: '/RestartCount', value: 7 },
        { kind: 'field', file: 'containers/api/inspect.json', path: '/State/Status', value: 'restarting' },
        { kind: 'field', file: 'containers/api/inspect.json', path: '/State/ExitCode', value: 3 },
      ]),
    );
    // An empty engine error is no evidence.
    expect(loop?.evidence.some((e) => e.kind === 'field' && e.path === '/State/Error')).toBe(false);
  });

  it('names an OOM-killed container with its memory limit', async () => {
    const [oom, ...more] = byAnalyzer(await analyze(bundle(), { analyzers: containerAnalyzers }), 'oom-killed');
    expect(more).toEqual([]);
    expect(oom).toMatchObject({ severity: 'critical', key: 'oom-killed:ledger' });
    expect(oom?.title).toBe('container ledger was killed for lack of memory (OOM)');
    expect(oom?.detail).toContain('64 MiB');
    expect(oom?.evidence).toContainEqual({
      kind: 'field',
      file: 'containers/ledger/inspect.json',
      path: '/State/OOMKilled',
      value: true,
    });
  });

  it("names an unhealthy container with its last probe's output", async () => {
    const [sick, ...more] = byAnalyzer(await analyze(bundle(), { analyzers: containerAnalyzers }), 'unhealthy');
    expect(more).toEqual([]);
    expect(sick?.key).toBe('unhealthy:web');
    expect(sick?.title).toBe(
      'container web is unhealthy: its health check fails: curl: (7) Failed to connect to localhost port 8080: Connection refused',
    );
    expect(sick?.detail).toContain('4 probes in a row failed');
    expect(sick?.evidence).toContainEqual({
      kind: 'field',
      file: 'containers/web/inspect.json',
      path: '/State/Health/Log/1/Output',
      value: 'curl: (7) Failed to connect to localhost port 8080: Connection refused\n',
    });
  });

  it('names containers that exited non-zero, but not one in a restart loop, one OOM-killed or one that exited 0', async () => {
    const findings = byAnalyzer(await analyze(bundle(), { analyzers: containerAnalyzers }), 'exited-nonzero');
    expect(findings.map((f) => [f.key, f.title])).toEqual([
      ['exited-nonzero:migrate', 'container migrate exited with exit code 2'],
    ]);
  });

  it('explains the exit codes that mean a signal', async () => {
    const crafted = craftBundle({
      'containers/killed/inspect.json': inspect('killed', { Status: 'exited', Running: false, ExitCode: 137 }),
      'containers/crashed/inspect.json': inspect('crashed', { Status: 'dead', Running: false, ExitCode: 139 }),
    });
    const findings = await analyze(crafted, { analyzers: [exitedNonzero] });
    expect(findings.map((f) => f.title)).toEqual([
      'container crashed exited with exit code 139 (SIGSEGV: the process crashed)',
      'container killed exited with exit code 137 (SIGKILL: out of memory or "docker kill")',
    ]);
  });

  it('says nothing about healthy, running and cleanly exited containers', async () => {
    const findings = await analyze(bundle(), { analyzers: containerAnalyzers });
    const keys = findings.map((finding) => finding.key).join(' ');
    for (const name of ['job', 'healthy', 'flaky']) expect(keys).not.toContain(`:${name}`);
  });

  it('says nothing when inspect.json is missing or not JSON', async () => {
    const crafted = craftBundle({ 'containers/broken/inspect.json': '{"Name": "/broken", "State": ' });
    expect(await analyze(crafted, { analyzers: containerAnalyzers })).toEqual([]);
  });
});

describe('kernel OOM lines in syslog', () => {
  const id = 'a'.repeat(64);
  const syslog = [
    '2025-06-01T11:30:00+00:00 app-01 kernel: [123.4] java invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
    '2025-06-01T11:30:00+00:00 app-01 kernel: [123.5] Tasks state (memory values in pages):',
    `2025-06-01T11:30:00+00:00 app-01 kernel: [123.6] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=${id},mems_allowed=0,oom_memcg=/docker/${id},task_memcg=/docker/${id},task=java,pid=4242,uid=0`,
    '2025-06-01T11:30:00+00:00 app-01 kernel: [123.7] Memory cgroup out of memory: Killed process 4242 (java) total-vm:2097152kB, anon-rss:65536kB',
    '2025-06-01T11:40:00+00:00 app-01 kernel: [723.1] Out of memory: Killed process 999 (backup.sh) total-vm:1000kB',
    '2025-06-01T11:41:00+00:00 app-01 sshd[77]: Accepted publickey for ops',
    '',
  ].join('\n');

  it('ties a cgroup OOM kill to its container by id, and names a kill outside containers by its process', async () => {
    const crafted = craftBundle({
      'containers/ledger/inspect.json': inspect('ledger', { Status: 'running' }, { id }),
      'syslog/messages': syslog,
    });
    const findings = byAnalyzer(await analyze(crafted, { analyzers: [oomKilled] }), 'oom-killed');
    expect(findings.map((f) => f.key).sort()).toEqual(['oom-killed:ledger', 'oom-killed:process:backup.sh']);
    const ledger = findings.find((f) => f.key === 'oom-killed:ledger');
    expect(ledger?.title).toBe(
      'container ledger was killed for lack of memory (OOM): the kernel killed process java (pid 4242)',
    );
    expect(ledger?.evidence).toEqual([
      { kind: 'line', file: 'syslog/messages', line: 1 },
      { kind: 'line', file: 'syslog/messages', line: 3 },
      { kind: 'line', file: 'syslog/messages', line: 4 },
    ]);
    const backup = findings.find((f) => f.key === 'oom-killed:process:backup.sh');
    expect(backup?.title).toBe("the kernel's OOM killer killed process backup.sh (pid 999)");
    expect(backup?.evidence).toEqual([{ kind: 'line', file: 'syslog/messages', line: 5 }]);
  });

  it('reads the three kernel line forms', () => {
    expect(parseKernelLine('Out of memory: Kill process 12 (mysqld) score 900 or sacrifice child')).toEqual({
      kind: 'killed',
      pid: '12',
      process: 'mysqld',
    });
    expect(parseKernelLine('oom-kill:constraint=CONSTRAINT_NONE,task=node,pid=7,uid=1000')).toEqual({
      kind: 'oom-kill',
      pid: '7',
      process: 'node',
    });
    expect(parseKernelLine('python3 invoked oom-killer: gfp_mask=0x100cca')).toEqual({
      kind: 'invoked',
      process: 'python3',
    });
    expect(parseKernelLine('the room was killed by boredom')).toBeUndefined();
  });
});
