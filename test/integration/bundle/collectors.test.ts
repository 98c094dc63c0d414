// The collectors against the real engine and real files: what lands in staging.
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectResult, collectBundle, defaultCollectors } from '../../../agent/bundle/collect/index.ts';
import { loadAgentConfig } from '../../../agent/config.ts';
import { createRedactor } from '../../../agent/redaction/index.ts';
import { docker } from '../../helpers/docker.ts';
import { removeStartedContainers, startContainer, uniquePrefix, waitExit } from '../../helpers/docker-logs.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const prefix = uniquePrefix();
const password = 'S3cr3t-Horse-Battery-77';
const siteKey = Buffer.alloc(32, 5);

describe.skipIf(!requireService('docker'))('bundle collectors on a real host', () => {
  let dir: string;
  let syslogPath: string;
  const results: CollectResult[] = [];

  beforeAll(async () => {
    dir = tempDir();
    const secret = await startContainer(`echo "starting"; echo "connecting with $DB_PASSWORD now" >&2`, {
      name: `${prefix}secret`,
    });
    // startContainer has no Env option: give the variable through the image's shell instead.
    await waitExit(secret);
    await secret.remove({ force: true });
    const withEnv = await docker().createContainer({
      name: `${prefix}env`,
      Image: 'shiplog-test/busybox:latest',
      Cmd: ['/bin/sh', '-c', 'echo "starting"; echo "connecting with $DB_PASSWORD now" >&2'],
      Env: [`DB_PASSWORD=${password}`, 'TZ=UTC'],
      Labels: { 'shiplog-test': '1', 'shiplog-test.owner': String(process.pid) },
      HostConfig: { NetworkMode: 'none' },
    });
    await withEnv.start();
    await waitExit(withEnv);
    const failing = await startContainer('echo "giving up"; exit 3', { name: `${prefix}fails` });
    await waitExit(failing);
    const noisy = await startContainer(
      'i=0; while [ $i -lt 20000 ]; do echo "noisy line $i padding padding padding padding"; i=$((i+1)); done',
      { name: `${prefix}noisy` },
    );
    await waitExit(noisy);

    const now = Date.now();
    const stamp = (ms: number) => new Date(ms).toISOString();
    syslogPath = join(dir, 'messages');
    writeFileSync(
      syslogPath,
      [
        `${stamp(now - 3 * 86400_000)} host app[1]: three days ago`,
        '    continuation of three days ago',
        `${stamp(now - 600_000)} host app[1]: ten minutes ago`,
        '    continuation of ten minutes ago',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'messages.1.gz'),
      gzipSync(`${stamp(now - 1200_000)} host app[1]: rotated twenty minutes ago\n`),
    );
    // Rotated long before the window: not even opened.
    writeFileSync(join(dir, 'messages.2.gz'), gzipSync(`${stamp(now - 9 * 86400_000)} host app[1]: nine days ago\n`));
    utimesSync(join(dir, 'messages.2.gz'), new Date(now - 9 * 86400_000), new Date(now - 9 * 86400_000));
  });

  afterAll(async () => {
    for (const result of results) await result.staging.remove();
    const mine = await docker().listContainers({ all: true, filters: { name: [prefix] } });
    await Promise.all(mine.map((c) => docker().getContainer(c.Id).remove({ force: true })));
    await removeStartedContainers();
  });

  async function collect(overrides: Partial<Parameters<typeof collectBundle>[0]> = {}): Promise<CollectResult> {
    const base = loadAgentConfig(undefined, {});
    const config = {
      ...base,
      sources: { ...base.sources, files: { ...base.sources.files, paths: [syslogPath] } },
      // Nothing listens here: the agent collector says so instead of failing.
      status: { ...base.status, listen: '127.0.0.1:9' },
    };
    const result = await collectBundle({
      window: { since: new Date(Date.now() - 3600_000), until: new Date(Date.now() + 60_000) },
      containers: [`${prefix}env`, `${prefix}fails`, `${prefix}noisy`],
      redactor: createRedactor({ siteKey }),
      config,
      maxBytes: 200e6,
      stagingParent: dir,
      docker: docker(),
      env: { SHIPLOG_DATA_DIR: join(dir, 'data') },
      ...overrides,
    });
    results.push(result);
    return result;
  }
  const read = (result: CollectResult, path: string) => readFileSync(result.staging.pathOf(path), 'utf8');

  it('keeps environment names but not secret values, and masks the secret in the logs', async () => {
    const result = await collect();
    const inspect = read(result, `containers/${prefix}env/inspect.json`);
    expect(inspect).toContain('DB_PASSWORD=');
    expect(inspect).toContain('TZ=UTC');
    const log = read(result, `containers/${prefix}env/container.log`);
    expect(log).toMatch(/^\S+Z stdout starting$/m);
    expect(log).toMatch(/^\S+Z stderr connecting with .* now$/m);
    for (const file of result.files) expect(read(result, file.path)).not.toContain(password);
    expect(result.files.find((f) => f.path === `containers/${prefix}env/container.log`)?.redactions.total).toBe(1);
    // Outside --containers: not collected.
    expect(result.files.some((f) => f.path.includes(`${prefix}secret`))).toBe(false);
  });

  it('shows the container that exited non-zero as RED in SUMMARY.txt, and lists every collector', async () => {
    const result = await collect();
    expect(result.summary).toMatch(new RegExp(`^RED +container ${prefix}fails exited with code 3`, 'm'));
    const byName = Object.fromEntries(result.collectors.map((run) => [run.name, run]));
    expect(Object.keys(byName)).toEqual(defaultCollectors.map((c) => c.name));
    expect(byName.docker_containers?.status).toBe('ok');
    expect(byName.container_logs?.status).toBe('ok');
    expect(byName.host?.status).toBe('ok');
    expect(byName.agent?.status).toBe('ok');
    expect(byName.agent_spool).toMatchObject({ status: 'skipped', error: { code: 'SHIPLOG_ERR_COLLECTOR_SKIPPED' } });
    expect(read(result, 'docker/ps.txt')).toContain(`${prefix}fails`);
    expect(read(result, 'agent/config.json')).toContain('"spool"');
    expect(JSON.parse(read(result, 'host/host.json')).kernel).toBeTypeOf('string');
  });

  it("carries the agent's recent self-logs, both parts, redacted like everything else", async () => {
    const logs = join(dir, 'data', 'logs');
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, 'agent.log.1'), '{"level":"info","msg":"shiplog agent started"}\n');
    writeFileSync(
      join(logs, 'agent.log'),
      `{"level":"error","msg":"delivery failed","url":"https://shiplog:${password}@es.bank.example:9200"}\n`,
    );
    try {
      const result = await collect();
      const selfLog = read(result, 'agent/agent.log');
      expect(selfLog.indexOf('shiplog agent started')).toBeLessThan(selfLog.indexOf('delivery failed'));
      expect(selfLog).not.toContain(password);
      expect(read(result, 'agent/NOTES.txt')).toContain('agent/agent.log');
    } finally {
      rmSync(logs, { recursive: true, force: true });
    }
    expect(read(await collect(), 'agent/NOTES.txt')).toMatch(/self-logs: none in .*\/logs/);
  });

  it('keeps the syslog lines of the window, with their continuations, from rotations too', async () => {
    const result = await collect();
    const current = read(result, 'syslog/messages');
    expect(current).not.toContain('three days ago');
    expect(current).toContain('app[1]: ten minutes ago\n    continuation of ten minutes ago\n');
    expect(read(result, 'syslog/messages.1')).toContain('rotated twenty minutes ago');
    expect(result.files.some((f) => f.path === 'syslog/messages.2')).toBe(false);
  });

  it('filters container log lines by the window', async () => {
    const result = await collect({
      window: { since: new Date(Date.now() + 3600_000), until: new Date(Date.now() + 7200_000) },
    });
    expect(read(result, `containers/${prefix}env/container.log`)).toBe('');
  });

  it('records a hanging collector as timeout while the others still produce their files', async () => {
    const hang = { name: 'hangs', timeoutMs: 100, collect: () => new Promise<void>(() => undefined) };
    const result = await collect({ collectors: [...defaultCollectors, hang] });
    expect(result.collectors.find((run) => run.name === 'hangs')?.status).toBe('timeout');
    expect(result.files.some((f) => f.path === `containers/${prefix}noisy/container.log`)).toBe(true);
    expect(result.summary).toContain('collector hangs did not finish in time');
  });

  it('cuts a big container log to the budget, keeping head and tail, and records it', async () => {
    const result = await collect({ maxBytes: 100_000 });
    const path = `containers/${prefix}noisy/container.log`;
    const cut = result.truncations.find((t) => t.path === path);
    expect(cut).toMatchObject({ reason: 'max_size' });
    expect(cut?.kept_size).toBeLessThan(cut?.original_size ?? 0);
    const text = read(result, path);
    expect(text).toMatch(/^\S+ stdout noisy line 0 /);
    expect(text).toContain('bytes left out here');
    expect(text).toMatch(/stdout noisy line 19999 padding padding padding padding\n$/);
  });
});
