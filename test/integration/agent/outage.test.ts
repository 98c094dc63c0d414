// Elasticsearch goes away under a running agent whose spool is small: the
// spool fills, the Docker source pauses (dockerd keeps the lines), memory
// stays bounded, and once Elasticsearch is back everything arrives, once.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../../agent/status/types.ts';
import { startAgentProcess } from '../../helpers/agent-process.ts';
import { repoRoot } from '../../helpers/cli.ts';
import { docker, TEST_IMAGE, TEST_LABELS } from '../../helpers/docker.ts';
import { freePort } from '../../helpers/rsyslog.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const ready = requireService('docker') && requireService('elasticsearch');

// A node of this test's own, so stopping it disturbs no other test.
const port = String(9271);
const nodeEnv = { ...process.env, SHIPLOG_TEST_ES_PORT: port, SHIPLOG_TEST_ES_KEEP_DATA: '1' };
const esUp = () =>
  execFileSync('bash', [join(repoRoot, 'test/services/up.sh'), 'elasticsearch'], {
    env: nodeEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
const esDown = () =>
  execFileSync('bash', [join(repoRoot, 'test/services/down.sh'), 'elasticsearch'], {
    env: nodeEnv,
    stdio: ['ignore', 'ignore', 'inherit'],
  });

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
}

describe.skipIf(!ready)('agent through an Elasticsearch outage with a full spool', () => {
  const run = randomUUID().slice(0, 8);
  const names = [`shiplog-outage-${run}-before`, `shiplog-outage-${run}-during`];
  const es = new Client({ node: `http://127.0.0.1:${port}` });

  afterAll(async () => {
    for (const name of names)
      await docker()
        .getContainer(name)
        .remove({ force: true })
        .catch(() => {});
    await es.close();
    esDown();
  });

  async function logLines(name: string, count: number): Promise<void> {
    const container = await docker().createContainer({
      name,
      Image: TEST_IMAGE,
      Cmd: ['sh', '-c', `seq 1 ${count} | sed "s/^/${name} line /"`],
      Labels: { ...TEST_LABELS },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    await container.wait();
  }

  it('pauses the source while the spool is full and delivers everything exactly once afterwards', async () => {
    esUp();
    const dir = tempDir('shiplog-outage-');
    const statusPort = await freePort('tcp');
    const namespace = `outage${run}`;
    const dataStream = `logs-shiplog-${namespace}`;
    const agent = startAgentProcess(
      {
        SHIPLOG_DATA_DIR: join(dir, 'data'),
        SHIPLOG_ELASTICSEARCH_URL: `http://127.0.0.1:${port}`,
        SHIPLOG_ELASTICSEARCH_NAMESPACE: namespace,
        SHIPLOG_SOURCES_DOCKER_INCLUDE: names.join(','),
        SHIPLOG_SOURCES_FILES_ENABLED: 'false',
        SHIPLOG_SPOOL_MAX_BYTES: '4MiB',
        SHIPLOG_SPOOL_SEGMENT_BYTES: '1MiB',
        SHIPLOG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
        SHIPLOG_LOG_LEVEL: 'warn',
      },
      join(dir, 'agent.log'),
    );
    const status = async () => (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as AgentStatus;
    const count = async () => {
      await es.indices.refresh({ index: dataStream }).catch(() => {});
      return (await es.count({ index: dataStream }).catch(() => ({ count: -1 }))).count;
    };
    try {
      await logLines(names[0] as string, 20_000);
      await expect.poll(count, { timeout: 60_000, interval: 1000 }).toBe(20_000);

      esDown();
      await logLines(names[1] as string, 60_000);
      // 60k events do not fit in 4 MiB: the spool fills and the agent says so.
      await expect
        .poll(async () => (await status()).healthReasons.join(' '), { timeout: 60_000, interval: 500 })
        .toMatch(/spool is full/);
      expect(rssMb(agent.child.pid as number)).toBeLessThan(400);
      const health = await fetch(`http://127.0.0.1:${statusPort}/health`);
      expect(health.status).toBe(503);

      esUp();
      await expect.poll(count, { timeout: 120_000, interval: 1000 }).toBe(80_000);
      const seen = new Set<string>();
      for await (const doc of es.helpers.scrollDocuments<{ message: string }>({
        index: dataStream,
        size: 5000,
        _source: ['message'],
      })) {
        seen.add(doc.message);
      }
      expect(seen.size).toBe(80_000);
      expect((await status()).counters.spool?.dropped ?? {}).toEqual({});
    } finally {
      await agent.kill('SIGTERM');
    }
  });
});
