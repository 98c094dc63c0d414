// `npm run bench -- docker`: 10 busybox containers each print 200,000 lines
// (`seq`) as fast as they can while `shiplog agent` follows them into the
// spool (no Elasticsearch, no file sources). The agent is measured as a whole
// process under /usr/bin/time; beside that, its CPU over the busy window only
// (from the first container's start until every line is in the spool), which
// is the "cores used" figure (goal < 1), and whether it kept up: lines in the
// spool == lines written. No peer; dockerd's own CPU over the same window is
// given for context. Needs `bash test/services/up.sh docker`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { asUser, type BenchRow, type BenchSuite, cpuSeconds, docker, ensureService, freePort, row } from './harness.ts';
import { measureDaemon } from './ship.bench.ts';

const IMAGE = 'shiplog-test/busybox:latest';
const CONTAINERS = 10;
const ROOT = join(import.meta.dirname, '..');
const SHIPLOG = join(ROOT, 'bin', 'shiplog.js');

function pidOf(name: string): number | undefined {
  const result = spawnSync('pgrep', ['-x', '-o', name], { encoding: 'utf8' });
  const pid = Number(result.stdout.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

interface Status {
  pid: number;
  counters: Record<string, { received: number; sent: number; dropped: Record<string, number> }>;
}

async function status(port: number): Promise<Status | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? ((await response.json()) as Status) : undefined;
  } catch {
    return undefined;
  }
}

const suite: BenchSuite = {
  name: 'docker',
  async run(ctx) {
    ensureService('docker');
    const perContainer = ctx.quick ? 10_000 : 200_000;
    const total = perContainer * CONTAINERS;
    const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
    const names = Array.from({ length: CONTAINERS }, (_, i) => `shiplog-bench-${run}-${i}`);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      SHIPLOG_DATA_DIR: join(ctx.workDir, 'data'),
      SHIPLOG_SOURCES_DOCKER_INCLUDE: names.join(','),
      SHIPLOG_SOURCES_FILES_ENABLED: 'false',
      SHIPLOG_STATUS_LISTEN: `127.0.0.1:${port}`,
    };
    delete env.SHIPLOG_ELASTICSEARCH_URL;
    const dockerd = pidOf('dockerd');

    let phase: 'starting' | 'running' = 'starting';
    let windowStart = 0;
    let agentCpuStart: number | undefined;
    let dockerdCpuStart: number | undefined;
    let windowSeconds: number | undefined;
    let agentCores: number | undefined;
    let dockerdCores: number | undefined;
    let exitedAt: number | undefined;
    let doneAt: number | undefined;
    let pid: number | undefined;
    let lastSpool = -1;
    let stalledSince = Date.now();
    try {
      const result = await measureDaemon(SHIPLOG, ['agent'], {
        env: asUser(env),
        cwd: ROOT,
        timeoutMs: 600_000,
        pollMs: 100,
        until: async () => {
          const now = await status(port);
          if (phase === 'starting') {
            if (!now) return { done: false, result: 0 };
            pid = now.pid;
            phase = 'running';
            windowStart = Date.now();
            agentCpuStart = cpuSeconds(pid);
            dockerdCpuStart = cpuSeconds(dockerd);
            for (const name of names) {
              docker([
                'run',
                '-d',
                '--name',
                name,
                '--network',
                'none',
                '--label',
                'shiplog-test=1',
                IMAGE,
                'seq',
                '1',
                String(perContainer),
              ]);
            }
            return { done: false, result: 0 };
          }
          const spooled = now?.counters.spool?.received ?? 0;
          if (exitedAt === undefined) {
            const running = docker(['ps', '-q', '--filter', 'label=shiplog-test=1', '--filter', `name=${run}`]);
            if (running === '') exitedAt = Date.now();
          }
          if (spooled !== lastSpool) {
            lastSpool = spooled;
            stalledSince = Date.now();
          }
          const done = spooled >= total || (exitedAt !== undefined && Date.now() - stalledSince > 15_000);
          if (done) {
            const end = spooled >= total ? Date.now() : stalledSince;
            doneAt = end;
            windowSeconds = (end - windowStart) / 1000;
            const agentCpu = cpuSeconds(pid);
            const dockerdCpu = cpuSeconds(dockerd);
            if (agentCpu !== undefined && agentCpuStart !== undefined)
              agentCores = (agentCpu - agentCpuStart) / windowSeconds;
            if (dockerdCpu !== undefined && dockerdCpuStart !== undefined)
              dockerdCores = (dockerdCpu - dockerdCpuStart) / windowSeconds;
          }
          return { done, result: spooled };
        },
      });
      const spooled = result.result;
      const seconds = windowSeconds ?? result.measure.wall_s;
      const agentRow: BenchRow = row('docker', 'shiplog agent (10 containers)', total, 'lines', result.measure, {
        rate: Math.round((spooled / seconds) * 10) / 10,
      });
      const keptUp = spooled === total;
      const lag =
        exitedAt === undefined || doneAt === undefined
          ? 'n/a'
          : `${(Math.max(0, doneAt - exitedAt) / 1000).toFixed(1)} s`;
      agentRow.note = [
        `exit ${result.measure.exit_code}`,
        keptUp ? 'kept up: all lines spooled' : `NOT kept up: ${spooled}/${total} spooled`,
        `busy window ${seconds.toFixed(2)} s`,
        `cores used ${agentCores?.toFixed(2) ?? '?'} (goal < 1)`,
        `whole-process cores ${(result.measure.cpu_s / result.measure.wall_s).toFixed(2)}`,
        `dockerd cores ${dockerdCores?.toFixed(2) ?? '?'}`,
        `last line spooled ${lag} after the last container exited (poll 100 ms)`,
      ].join('; ');
      return [agentRow];
    } finally {
      spawnSync('docker', ['rm', '-f', ...names], { encoding: 'utf8' });
    }
  },
};

export default suite;
