import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCommand, shiplog } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const lines = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `Nov 25 03:12:${String(i % 60).padStart(2, '0')} app-01 payments[42]: settled ${i}`,
  ).join('\n');

describe('shiplog ship into the local spool', () => {
  it('reads plain and .gz files to their end and says so in one line', async () => {
    const dir = tempDir('shiplog-ship-');
    writeFileSync(join(dir, 'messages'), `${lines(300)}\n`);
    writeFileSync(join(dir, 'messages.1.gz'), gzipSync(`${lines(200)}\n`));
    const result = await shiplog(['ship', join(dir, 'messages'), join(dir, 'messages.1.gz')], {
      env: { SHIPLOG_DATA_DIR: join(dir, 'data') },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^shipped 500 lines as 500 events \(.*\) from 2 file\(s\) to the local spool/);
  });

  it('joins a Java trace whose continuation lines carry no syslog header into one event', async () => {
    const dir = tempDir('shiplog-ship-');
    const trace = [
      '2026-11-25T02:59:58.120Z app-01 ledger[7]: posting batch 41',
      '2026-11-25T02:59:58.125Z app-01 ledger[7]: java.lang.IllegalStateException: entry 5 does not balance',
      '\tat com.vendor.ledger.Posting.apply(Posting.java:214)',
      '\tat com.vendor.ledger.Batch.run(Batch.java:88)',
      'Caused by: java.lang.ArithmeticException: overflow',
      '\t... 12 more',
      '2026-11-25T02:59:58.130Z app-01 ledger[7]: batch 41 rolled back',
    ];
    writeFileSync(join(dir, 'ledger.log'), `${trace.join('\n')}\n`);
    const result = await shiplog(['ship', join(dir, 'ledger.log')], { env: { SHIPLOG_DATA_DIR: join(dir, 'data') } });
    expect(result.stdout).toMatch(/^shipped 7 lines as 3 events/);
  });

  it('merges on the file\u2019s own clock: a trace interleaved with a megabyte of other lines in the same second stays one event, one whose stream fell silent for a minute of log time does not', async () => {
    const dir = tempDir('shiplog-ship-');
    const file = (name: string, secondsApart: boolean) => {
      const at = (i: number) =>
        `2026-11-25T03:${String(secondsApart ? Math.floor(i / 100) : 0).padStart(2, '0')}:00.000Z`;
      const other = Array.from(
        { length: 8000 },
        (_, i) => `${at(i)} app-01 gateway[${i}]: request ${i} ${'x'.repeat(80)}`,
      );
      const text = [
        `${at(0)} app-01 ledger[7]: java.lang.IllegalStateException: entry 5 does not balance`,
        ...other,
        `${at(7999)} app-01 ledger[7]: \tat com.vendor.ledger.Posting.apply(Posting.java:214)`,
      ];
      writeFileSync(join(dir, name), `${text.join('\n')}\n`);
      return join(dir, name);
    };
    const env = { SHIPLOG_DATA_DIR: join(dir, 'data') };
    const same = await shiplog(['ship', file('same-second.log', false)], { env });
    expect(same.stdout).toMatch(/^shipped 8002 lines as 8001 events/);
    const later = await shiplog(['ship', file('an-hour-later.log', true)], { env });
    expect(later.stdout).toMatch(/^shipped 8002 lines as 8002 events/);
  });

  it('refuses a missing file with a stable code and advice', async () => {
    const dir = tempDir('shiplog-ship-');
    const result = await shiplog(['ship', join(dir, 'absent.log')], { env: { SHIPLOG_DATA_DIR: join(dir, 'data') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[SHIPLOG_ERR_SHIP_UNREADABLE]');
    expect(result.stderr).toContain('ENOENT');
  });

  it('refuses a file it may not read, as an unprivileged user would meet it', async () => {
    const dir = tempDir('shiplog-ship-');
    const file = join(dir, 'secure');
    writeFileSync(file, `${lines(3)}\n`);
    chmodSync(file, 0o000);
    const command = [join(repoRoot, 'node_modules/.bin/node'), join(repoRoot, 'bin/shiplog.js'), 'ship', file];
    // Root reads anything through CAP_DAC_OVERRIDE: drop every capability,
    // so permissions apply as they do to on-site IT without sudo.
    const [program, ...args] =
      process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-all', '--', ...command] : command;
    const result = await runCommand(program as string, args, { env: { SHIPLOG_DATA_DIR: join(dir, 'data') } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[SHIPLOG_ERR_SHIP_UNREADABLE]');
    expect(result.stderr).toContain('EACCES');
  });

  it('says which data directory it cannot use and how to choose another', async () => {
    const dir = tempDir('shiplog-ship-');
    writeFileSync(join(dir, 'messages'), `${lines(1)}\n`);
    const result = await shiplog(['ship', join(dir, 'messages')], {
      env: { SHIPLOG_DATA_DIR: '/etc/hostname/shiplog' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[SHIPLOG_ERR_DATA_DIR_UNUSABLE]');
    expect(result.stderr).toContain('SHIPLOG_DATA_DIR');
  });

  it('exits 2 with usage advice when given no file', async () => {
    const result = await shiplog(['ship']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('needs at least one file');
  });
});
