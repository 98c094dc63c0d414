// `npm run bench -- docker-memory`: the agent's memory with 10 busy
// containers. Each prints 1 KiB lines as fast as busybox `yes` can while
// `shiplog agent` follows them into the spool: with the default spool, with
// `spool.fsync: always` (a slow disk), and with the spool full (Elasticsearch
// configured but refusing connections, a 64 MiB spool), where every stream
// stops on backpressure and what the agent holds is what it read and could
// not spool (it starts after the containers, so that every stream has a
// backlog and its batches fill up): that case runs with the budget all containers share
// (sources.docker.max_inflight_bytes) and, for comparison, with it so large
// that only each container's own window bounds it (the behaviour before).
// Reported: the agent's peak RSS as a whole process (goal: under 150 MB),
// events spooled per second, and the budget's own figures from /status.
// Needs `bash test/services/up.sh docker`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { asUser, type BenchRow, type BenchSuite, docker, ensureService, freePort, memoryMb, row } from './harness.ts';
import { measureDaemon } from './ship.bench.ts';

const IMAGE = 'shiplog-test/busybox:latest';
const CONTAINERS = 10;
const ROOT = join(import.meta.dirname, '..');
const SHIPLOG = join(ROOT, 'bin', 'shiplog.js');
const RSS_GOAL_MB = 150;

interface Status {
  pid: number;
  counters: Record<string, { received: number }>;
  sources?: { docker_logs?: { inflight?: { used: number; limit: number; paused: number; peak: number } } };
}

async function status(port: number): Promise<Status | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(2000) });
    return response.ok ? ((await response.json()) as Status) : undefined;
  } catch {
    return undefined;
  }
}

interface Case {
  label: string;
  fsync: 'interval' | 'always';
  /** The spool fills and stays full: Elasticsearch configured, refusing connections. */
  full?: { budget: string };
}

async function busy(ctx: { workDir: string; quick: boolean }, c: Case): Promise<BenchRow> {
  const perContainer = ctx.quick ? 5_000 : 60_000;
  const total = perContainer * CONTAINERS;
  const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const names = Array.from({ length: CONTAINERS }, (_, i) => `shiplog-bench-mem-${run}-${i}`);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SHIPLOG_DATA_DIR: join(ctx.workDir, `data-${c.label.replace(/\W+/g, '-')}`),
    SHIPLOG_SOURCES_DOCKER_INCLUDE: names.join(','),
    SHIPLOG_SOURCES_FILES_ENABLED: 'false',
    SHIPLOG_STATUS_LISTEN: `127.0.0.1:${port}`,
    SHIPLOG_SPOOL_FSYNC: c.fsync,
  };
  delete env.SHIPLOG_ELASTICSEARCH_URL;
  if (c.full) {
    env.SHIPLOG_ELASTICSEARCH_URL = `http://127.0.0.1:${await freePort()}`;
    env.SHIPLOG_SPOOL_MAX_BYTES = '64MiB';
    env.SHIPLOG_SPOOL_SEGMENT_BYTES = '8MiB';
    env.SHIPLOG_SOURCES_DOCKER_MAX_INFLIGHT_BYTES = c.full.budget;
  }
  const line = `busy ${'0123456789abcdef'.repeat(63)}`;
  // Held back behind a full spool for this long after the streams stopped.
  const heldMs = ctx.quick ? 5_000 : 20_000;
  let fullSince: number | undefined;
  const startContainers = () => {
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
        // Behind a full spool the lines stay in the engine's files: bound them.
        ...(c.full ? ['--log-opt', 'max-size=50m', '--log-opt', 'max-file=2'] : []),
        IMAGE,
        'sh',
        '-c',
        c.full ? `yes '${line}'` : `yes '${line}' | head -n ${perContainer}`,
      ]);
    }
  };
  if (c.full) {
    // A backlog to catch up on: the agent starts after the containers, so its
    // streams always have data waiting and its batches fill up.
    startContainers();
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  let phase: 'starting' | 'running' = 'starting';
  let windowStart = 0;
  let windowEnd: number | undefined;
  let pid: number | undefined;
  let sampledPeak = 0;
  let inflightPeak = 0;
  let inflightLimit = 0;
  let paused = 0;
  let lastSpooled = -1;
  let stalledSince = Date.now();
  let exitedAt: number | undefined;
  try {
    const result = await measureDaemon(SHIPLOG, ['agent'], {
      env: asUser(env),
      cwd: ROOT,
      timeoutMs: 900_000,
      pollMs: 100,
      until: async () => {
        const now = await status(port);
        if (phase === 'starting') {
          if (!now) return { done: false, result: 0 };
          pid = now.pid;
          phase = 'running';
          windowStart = Date.now();
          if (!c.full) startContainers();
          return { done: false, result: 0 };
        }
        sampledPeak = Math.max(sampledPeak, memoryMb(pid, 'VmRSS') ?? 0);
        const inflight = now?.sources?.docker_logs?.inflight;
        if (inflight) {
          inflightPeak = Math.max(inflightPeak, inflight.peak);
          inflightLimit = inflight.limit;
          paused = Math.max(paused, inflight.paused);
        }
        const spooled = now?.counters.spool?.received ?? 0;
        if (exitedAt === undefined) {
          const running = docker(['ps', '-q', '--filter', `name=shiplog-bench-mem-${run}`]);
          if (running === '') exitedAt = Date.now();
        }
        if (spooled !== lastSpooled) {
          lastSpooled = spooled;
          stalledSince = Date.now();
        }
        if (c.full) {
          // Full once nothing more is spooled for a second; then held for heldMs.
          if (fullSince === undefined && spooled > 0 && Date.now() - stalledSince > 1000) fullSince = stalledSince;
          const done = fullSince !== undefined && Date.now() - fullSince > heldMs;
          if (done) windowEnd = fullSince;
          return { done, result: spooled };
        }
        const done = spooled >= total || (exitedAt !== undefined && Date.now() - stalledSince > 15_000);
        if (done) windowEnd = spooled >= total ? Date.now() : stalledSince;
        return { done, result: spooled };
      },
    });
    const spooled = result.result;
    const seconds = ((windowEnd ?? Date.now()) - windowStart) / 1000;
    const subject = `shiplog agent, 10 busy containers, 1 KiB lines, ${c.label}`;
    const measured = row('docker-memory', subject, c.full ? spooled : total, 'events', result.measure, {
      rate: Math.round(spooled / seconds),
    });
    measured.note = [
      `exit ${result.measure.exit_code}`,
      c.full
        ? `spool full after ${spooled} events, then held ${heldMs / 1000} s`
        : spooled === total
          ? 'all lines spooled'
          : `NOT all spooled: ${spooled}/${total}`,
      `peak RSS ${measured.peak_rss_mb} MB (goal < ${RSS_GOAL_MB}: ${measured.peak_rss_mb < RSS_GOAL_MB ? 'met' : 'MISSED'})`,
      `sampled VmRSS peak ${sampledPeak.toFixed(1)} MB`,
      inflightLimit > 0
        ? `in flight peak ${(inflightPeak / 1048576).toFixed(1)} of ${(inflightLimit / 1048576).toFixed(0)} MiB, up to ${paused} streams paused`
        : 'no in-flight budget reported',
      `busy window ${seconds.toFixed(1)} s`,
    ].join('; ');
    return measured;
  } finally {
    spawnSync('docker', ['rm', '-f', ...names], { encoding: 'utf8' });
  }
}

const suite: BenchSuite = {
  name: 'docker-memory',
  async run(ctx) {
    ensureService('docker');
    return [
      await busy(ctx, { label: 'spool fsync interval', fsync: 'interval' }),
      await busy(ctx, { label: 'spool fsync always', fsync: 'always' }),
      await busy(ctx, { label: 'spool full, budget 16 MiB', fsync: 'interval', full: { budget: '16MiB' } }),
      await busy(ctx, {
        label: 'spool full, no shared budget (per-container windows only)',
        fsync: 'interval',
        full: { budget: '1GiB' },
      }),
    ];
  },
};

export default suite;
