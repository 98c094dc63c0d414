// `shiplog agent` stopped while logrotate compressed a file it had not read to
// its end, on a host that keeps .gz rotations out of the agent's reach
// (read_rotated_gz: false): after the restart the loss is where an operator
// looks, with the file and the bytes: a warning in the agent's log,
// `shiplog status` (per file and under drops) and /metrics.
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAgentProcess } from '../helpers/agent-process.ts';
import { shiplog } from '../helpers/cli.ts';
import { freePort } from '../helpers/rsyslog.ts';
import { tempDir } from '../helpers/temp.ts';

const lines = (from: number, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `Nov 25 03:12:${String((from + i) % 60).padStart(2, '0')} app-01 payments[42]: settled ${from + i}\n`,
  ).join('');

describe('shiplog agent after a file was rotated away while it was stopped', () => {
  it('warns with the file and the bytes, and counts them in shiplog status and /metrics', async () => {
    const dir = tempDir('shiplog-agent-rotated-');
    const messages = join(dir, 'messages');
    writeFileSync(messages, lines(0, 30));
    const port = await freePort('tcp');
    const config = join(dir, 'agent.yml');
    writeFileSync(
      config,
      `sources:\n  docker:\n    enabled: false\n  files:\n    paths: [${messages}]\n    read_rotated_gz: false\nstatus:\n  listen: 127.0.0.1:${port}\n`,
    );
    const env = { SHIPLOG_DATA_DIR: join(dir, 'data') };
    const status = async () =>
      JSON.parse((await shiplog(['status', '--json', '--config', config], { env })).stdout || '{}');
    const spooled = async () => (await status()).counters?.spool?.received ?? 0;

    const first = startAgentProcess(env, join(dir, 'first.log'), ['--config', config]);
    try {
      await expect.poll(spooled, { timeout: 20_000 }).toBe(30);
    } finally {
      await first.kill('SIGTERM');
    }

    // While it is stopped: twelve more lines, then logrotate with compress.
    const unread = lines(30, 12);
    appendFileSync(messages, unread);
    renameSync(messages, `${messages}.1`);
    execFileSync('gzip', [`${messages}.1`]);
    writeFileSync(messages, lines(100, 2));

    const log = join(dir, 'second.log');
    const second = startAgentProcess(env, log, ['--config', config]);
    try {
      await expect.poll(spooled, { timeout: 20_000 }).toBe(2);
      const warning = readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line.includes('SHIPLOG_ERR_FILE_LOST_WHILE_STOPPED'))
        .map((line) => JSON.parse(line));
      expect(warning).toHaveLength(1);
      expect(warning[0]).toMatchObject({ level: 'warn', component: 'file' });
      expect(warning[0].msg).toContain(`at least ${unread.length} byte(s) of ${messages}.1.gz`);

      const human = await shiplog(['status', '--config', config], { env });
      expect(human.stdout).toContain(`file rotated_away: 1 (at least ${unread.length} B lost)`);
      expect((await status()).sources.file).toEqual([
        expect.objectContaining({ path: messages, lost: { gaps: 1, bytes_at_least: unread.length } }),
      ]);

      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('shiplog_events_dropped_total{component="file",reason="rotated_away"} 1');
      expect(metrics).toContain(`shiplog_bytes_dropped_total{component="file",reason="rotated_away"} ${unread.length}`);
    } finally {
      await second.kill('SIGTERM');
    }
  });
});
