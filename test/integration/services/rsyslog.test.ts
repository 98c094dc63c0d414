// A real rsyslogd receiving from a real client (util-linux logger) over UDP and TCP.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type Rsyslog, startRsyslog } from '../../helpers/rsyslog.ts';
import { requireService } from '../../helpers/services.ts';

const run = promisify(execFile);

async function linesContaining(file: string, needle: string, want: number): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n').filter((line) => line.includes(needle));
    if (lines.length >= want || Date.now() > deadline) return lines;
    await sleep(100);
  }
}

describe.skipIf(!requireService('rsyslog'))('rsyslog', () => {
  let dir = '';
  let rsyslog: Rsyslog | undefined;

  afterAll(async () => {
    await rsyslog?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('receives RFC 5424 messages from logger over UDP and TCP', async () => {
    dir = await mkdtemp(join(tmpdir(), 'shiplog-rsyslog-test-'));
    const outFile = join(dir, 'received.log');
    rsyslog = await startRsyslog({ outFile });
    const id = randomUUID();

    const logger = ['-n', '127.0.0.1', '--rfc5424', '-t', 'shiplogtest'];
    await run('logger', [...logger, '-P', String(rsyslog.udpPort), '-d', `via-udp ${id}`]);
    await run('logger', [...logger, '-P', String(rsyslog.tcpPort), '-T', `via-tcp ${id}`]);

    const lines = await linesContaining(outFile, id, 2);
    expect(lines).toHaveLength(2);
    for (const transport of ['udp', 'tcp']) {
      const line = lines.find((l) => l.includes(`via-${transport} ${id}`));
      expect(line, `nothing arrived over ${transport}: ${lines.join(' | ')}`).toBeDefined();
      // RFC 5424 on the wire: <PRI>1 TIMESTAMP HOST APP-NAME ...
      expect(line).toMatch(/^\S+ <\d+>1 \S+ \S+ shiplogtest /);
    }
  });
});
