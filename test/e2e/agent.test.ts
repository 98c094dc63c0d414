// `shiplog agent` as an operator runs it: status, reload on SIGHUP, clean stop
// on SIGTERM, and advice instead of a stack trace for a bad configuration.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAgentProcess } from '../helpers/agent-process.ts';
import { shiplog } from '../helpers/cli.ts';
import { freePort } from '../helpers/rsyslog.ts';
import { tempDir } from '../helpers/temp.ts';

describe('shiplog agent as a process', () => {
  it('reports its sources through shiplog status, reloads on SIGHUP, keeps running on a bad reload, stops cleanly on a double Ctrl-C', async () => {
    const dir = tempDir('shiplog-agent-e2e-');
    const messages = join(dir, 'messages');
    writeFileSync(messages, 'Nov 25 03:12:45 app-01 payments[42]: started\n');
    const port = await freePort('tcp');
    const config = join(dir, 'agent.yml');
    const good = `sources:\n  docker:\n    enabled: false\n  files:\n    paths: [${messages}]\nstatus:\n  listen: 127.0.0.1:${port}\n`;
    writeFileSync(config, good);
    const env = { SHIPLOG_DATA_DIR: join(dir, 'data') };
    const log = join(dir, 'agent.log');
    const agent = startAgentProcess(env, log, ['--config', config]);
    try {
      const statusEnv = { ...env, SHIPLOG_STATUS_LISTEN: `127.0.0.1:${port}` };
      const status = async () => shiplog(['status', '--json'], { env: statusEnv });
      await expect.poll(async () => (await status()).code, { timeout: 20_000 }).toBe(0);
      appendFileSync(messages, 'Nov 25 03:12:46 app-01 payments[42]: settled 1\n');
      await expect
        .poll(async () => JSON.parse((await status()).stdout).counters.spool?.received ?? 0, { timeout: 20_000 })
        .toBe(2);
      const human = await shiplog(['status', '--config', config], { env });
      expect(human.stdout).toMatch(/^shiplog agent .*health ok/);
      expect(human.stdout).toContain(messages);

      writeFileSync(config, `${good}spool:\n  fsync: sometimes\n`);
      agent.child.kill('SIGHUP');
      await expect.poll(() => readFileSync(log, 'utf8'), { timeout: 10_000 }).toContain('configuration not reloaded');
      expect((await status()).code).toBe(0);

      writeFileSync(config, `${good}log_level: debug\n`);
      agent.child.kill('SIGHUP');
      await expect.poll(() => readFileSync(log, 'utf8'), { timeout: 10_000 }).toContain('reloading configuration');
      await expect.poll(async () => (await status()).code, { timeout: 20_000 }).toBe(0);
    } finally {
      // Ctrl-C in a terminal reaches the agent twice (the group, and the launcher passing it on).
      agent.child.kill('SIGINT');
      await expect.poll(() => readFileSync(log, 'utf8'), { timeout: 10_000 }).toContain('stopping: draining');
      agent.child.kill('SIGINT');
      // The second one lands during the drain (the agent says so and finishes,
      // exit 0) or, when the drain was quicker than this test, in the last
      // moments of the exit, after Node has let go of its signal handlers.
      const exit = await agent.exited;
      if (readFileSync(log, 'utf8').includes('already stopping')) expect(exit).toBe(0);
      else expect([0, 'SIGINT']).toContain(exit);
    }
    // Either way the stop was complete: nothing was cut off half way.
    expect(readFileSync(log, 'utf8')).toContain('shiplog agent stopped');
    // The same lines are kept in the data directory, for support bundles.
    const selfLog = readFileSync(join(dir, 'data', 'logs', 'agent.log'), 'utf8');
    expect(selfLog).toContain('configuration not reloaded');
    expect(selfLog).toContain('shiplog agent stopped');
    expect(selfLog.split('\n').length).toBe(readFileSync(log, 'utf8').split('\n').length);
  });

  it('refuses a misspelt setting with the key and the file named, and no stack trace', async () => {
    const dir = tempDir('shiplog-agent-e2e-');
    const config = join(dir, 'agent.yml');
    writeFileSync(config, 'spool:\n  max_byte: 1GiB\n');
    const result = await shiplog(['agent', '--config', config], { env: { SHIPLOG_DATA_DIR: join(dir, 'data') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"spool.max_byte" unknown key');
    expect(result.stderr).toContain(config);
    expect(result.stderr).toContain('[SHIPLOG_ERR_CONFIG_INVALID]');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('says plainly when no agent is running', async () => {
    const port = await freePort('tcp');
    const result = await shiplog(['status'], { env: { SHIPLOG_STATUS_LISTEN: `127.0.0.1:${port}` } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[SHIPLOG_ERR_AGENT_NOT_RUNNING]');
  });

  it('waits with --wait for an agent that is still starting, as right after `systemctl start`', async () => {
    const dir = tempDir('shiplog-agent-e2e-');
    const port = await freePort('tcp');
    const messages = join(dir, 'messages');
    writeFileSync(messages, '');
    const config = join(dir, 'agent.yml');
    writeFileSync(config, `sources:\n  docker:\n    enabled: false\n  files:\n    paths: [${messages}]\n`);
    const env = { SHIPLOG_DATA_DIR: join(dir, 'data'), SHIPLOG_STATUS_LISTEN: `127.0.0.1:${port}` };
    // Asked first: nothing listens yet when status starts asking.
    const asked = shiplog(['status', '--wait', '2m'], { env });
    const agent = startAgentProcess(env, join(dir, 'agent.log'), ['--config', config]);
    try {
      const status = await asked;
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^shiplog agent .*health ok/);
    } finally {
      await agent.kill('SIGTERM');
    }

    const nobody = await shiplog(['status', '--wait', '1s'], { env });
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('still after 1s');
    expect(nobody.stderr).toContain('[SHIPLOG_ERR_AGENT_NOT_RUNNING]');
    const malformed = await shiplog(['status', '--wait', '60'], { env });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--wait: "60" is not a duration');
  });

  it('keeps running with every source off until it is told to stop', async () => {
    const dir = tempDir('shiplog-agent-e2e-');
    const port = await freePort('tcp');
    const env = {
      SHIPLOG_DATA_DIR: join(dir, 'data'),
      SHIPLOG_STATUS_LISTEN: `127.0.0.1:${port}`,
      SHIPLOG_SOURCES_DOCKER_ENABLED: 'false',
      SHIPLOG_SOURCES_FILES_ENABLED: 'false',
    };
    const agent = startAgentProcess(env, join(dir, 'agent.log'));
    try {
      const status = await shiplog(['status', '--wait', '1m'], { env });
      expect(status.code, status.stderr).toBe(0);
      // Still there a moment later: it used to exit as soon as it had started.
      const again = await shiplog(['status'], { env });
      expect(again.code, again.stderr).toBe(0);
      expect(agent.child.exitCode).toBeNull();
    } finally {
      expect(await agent.kill('SIGTERM')).toBe(0);
    }
  });
});
