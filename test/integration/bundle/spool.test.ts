// The agent_spool collector against a real agent and dockerd: the logs of a
// container that no longer exists come from the agent's spool, read without
// its lock, while the agent is running and after it stopped.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../../agent/status/types.ts';
import { type AgentProcess, startAgentProcess } from '../../helpers/agent-process.ts';
import { shiplog } from '../../helpers/cli.ts';
import { docker, TEST_IMAGE, TEST_LABELS } from '../../helpers/docker.ts';
import { freePort } from '../../helpers/rsyslog.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const ready = requireService('docker');
const LINES = 5;

describe.skipIf(!ready)('shiplog dump: the agent_spool collector', () => {
  const name = `shiplog-spool-${randomUUID().slice(0, 8)}`;
  const dir = tempDir('shiplog-bundle-spool-');
  const dataDir = join(dir, 'data');
  const env = { SHIPLOG_DATA_DIR: dataDir };
  const expected = Array.from({ length: LINES }, (_, i) => `${name} gone line ${i + 1}`);
  let agent: AgentProcess | undefined;

  afterAll(async () => {
    await agent?.kill('SIGTERM');
    await docker()
      .getContainer(name)
      .remove({ force: true })
      .catch(() => {});
  });

  /** Takes a bundle, extracts it, returns the removed container's spool log and the collector's manifest entry. */
  async function dump(label: string): Promise<{ log: string; run: { name: string; status: string } | undefined }> {
    const bundle = join(dir, `${label}.tar.gz`);
    const result = await shiplog(['dump', '--out', bundle, '--since', '1h', '--containers', name], { env });
    expect(result.stderr).toMatch(/Support bundle written to/);
    expect(result.code).toBe(0);
    const out = join(dir, label);
    execFileSync('sh', ['-c', `mkdir -p ${out} && tar -xzf ${bundle} -C ${out}`]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const run = manifest.collectors.find((c: { name: string }) => c.name === 'agent_spool');
    const containers = join(out, 'spool', 'containers');
    const dirs = readdirSync(containers).filter((d) => d.startsWith(`${name}-`));
    expect(dirs).toHaveLength(1);
    return { log: readFileSync(join(containers, dirs[0] as string, 'container.log'), 'utf8'), run };
  }

  it("puts a removed container's logs from the spool in the bundle, with the agent running and after it stopped", async () => {
    const statusPort = await freePort('tcp');
    agent = startAgentProcess(
      {
        SHIPLOG_DATA_DIR: dataDir,
        SHIPLOG_SOURCES_DOCKER_INCLUDE: name,
        SHIPLOG_SOURCES_FILES_ENABLED: 'false',
        SHIPLOG_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
        SHIPLOG_LOG_LEVEL: 'warn',
      },
      join(dir, 'agent.log'),
    );
    const received = async () => {
      try {
        const status = (await (await fetch(`http://127.0.0.1:${statusPort}/status`)).json()) as AgentStatus;
        return status.counters.spool?.received ?? 0;
      } catch {
        return -1;
      }
    };
    // The agent is up (and has its spool) before the container starts.
    await expect.poll(received, { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(0);

    const container = await docker().createContainer({
      name,
      Image: TEST_IMAGE,
      Cmd: ['sh', '-c', `for i in $(seq 1 ${LINES}); do echo "${name} gone line $i"; done`],
      Labels: { ...TEST_LABELS },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    await container.wait();
    await expect.poll(received, { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(LINES);
    await container.remove({ force: true });

    const spoolDir = join(dataDir, 'spool');
    const listing = () =>
      readdirSync(spoolDir, { recursive: true })
        .map(String)
        .filter((entry) => entry.endsWith('.seg'))
        .map((entry) => `${entry}:${statSync(join(spoolDir, entry)).size}`)
        .sort();
    const before = listing();

    // While the agent runs and holds the spool's lock.
    const live = await dump('live');
    expect(live.run?.status).toBe('ok');
    for (const line of expected) expect(live.log).toMatch(new RegExp(`^\\S+ stdout ${line}$`, 'm'));
    expect(agent.child.exitCode).toBeNull();
    // The bundle read the spool without changing it (the agent is idle: nothing else appends).
    expect(listing()).toEqual(before);

    expect(await agent.kill('SIGTERM')).toBe(0);
    agent = undefined;

    // With the agent stopped: the same.
    const stopped = await dump('stopped');
    expect(stopped.run?.status).toBe('ok');
    expect(stopped.log).toBe(live.log);
  });
});
