import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../../../../agent/spool/index.ts';
import { removeTempDirs, spoolOptions, tempDataDir } from './spool-helpers.ts';

afterEach(removeTempDirs);

const child = join(import.meta.dirname, '../../../fixtures/spool/append-until-killed.ts');

/** Runs the appending child until it acknowledged `threshold` records, kills it with SIGKILL, returns its last acknowledged count. */
async function appendUntilKilled(dataDir: string, run: number, threshold: number): Promise<number> {
  const proc = spawn(process.execPath, [child, dataDir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let acknowledged = 0;
  let pending = '';
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  proc.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) acknowledged = Number(line);
    if (acknowledged >= threshold) proc.kill('SIGKILL');
  });
  const [code, signal] = await once(proc, 'exit');
  expect({ code, signal, stderr }).toMatchObject({ signal: 'SIGKILL' });
  return acknowledged;
}

describe('spool: kill -9 while appending', () => {
  it('keeps every acknowledged record, in order, through repeated kills, and never fails to reopen', async () => {
    const dataDir = await tempDataDir();
    const acknowledged: number[] = [];
    for (let run = 0; run < 4; run++) {
      acknowledged.push(await appendUntilKilled(dataDir, run, 50 + Math.floor(Math.random() * 2000)));
    }

    const spool = await Spool.open(spoolOptions(dataDir));
    const seen = new Map<number, number>();
    let lastRun = -1;
    for await (const record of spool.scan()) {
      const [runText, seqText] = record.data.toString('utf8').split(':');
      const run = Number(runText);
      const seq = Number(seqText);
      expect(run).toBeGreaterThanOrEqual(lastRun);
      lastRun = run;
      // Contiguous within a run: no gap, no duplicate.
      expect(seq).toBe(seen.get(run) ?? 0);
      seen.set(run, seq + 1);
    }
    for (const [run, count] of acknowledged.entries()) {
      expect(seen.get(run) ?? 0).toBeGreaterThanOrEqual(count);
    }
    await spool.append(['after the crashes']);
    await spool.close();
  }, 60_000);
});
