import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../../../../agent/spool/index.ts';
import { removeTempDirs, spoolOptions, tempDataDir } from './spool-helpers.ts';

const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await removeTempDirs();
});

async function writeLock(dataDir: string, content: string): Promise<void> {
  await mkdir(join(dataDir, 'spool'), { recursive: true });
  await writeFile(join(dataDir, 'spool', 'LOCK'), content);
}

describe('spool: one agent per spool', () => {
  it('refuses a spool locked by another live process, with a clear error code', async () => {
    const dataDir = await tempDataDir();
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(sleeper);
    await once(sleeper, 'spawn');
    await writeLock(dataDir, `${sleeper.pid}\n`);
    const opening = Spool.open(spoolOptions(dataDir));
    await expect(opening).rejects.toMatchObject({ code: 'SHIPLOG_ERR_SPOOL_LOCKED', permanent: true });
    await expect(opening).rejects.toThrow(String(sleeper.pid));
  });

  it('takes over a lock left by a process that is gone, and releases it on close', async () => {
    const dataDir = await tempDataDir();
    const gone = spawn('true', [], { stdio: 'ignore' });
    await once(gone, 'exit');
    await writeLock(dataDir, `${gone.pid}\n`);
    const spool = await Spool.open(spoolOptions(dataDir));
    expect((await readFile(join(dataDir, 'spool', 'LOCK'), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await spool.close();
    await expect(access(join(dataDir, 'spool', 'LOCK'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over a lock naming its own pid from an earlier run (PID 1 in a container)', async () => {
    const dataDir = await tempDataDir();
    await writeLock(dataDir, `${process.pid}\n`);
    const spool = await Spool.open(spoolOptions(dataDir));
    await spool.close();
  });

  it('takes over a lock whose pid now belongs to a process that started later', async () => {
    const dataDir = await tempDataDir();
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(sleeper);
    await once(sleeper, 'spawn');
    await writeLock(dataDir, `${sleeper.pid}\n1\n`);
    const spool = await Spool.open(spoolOptions(dataDir));
    await spool.close();
  });

  it('refuses a second open of the same spool in one process until the first closes', async () => {
    const dataDir = await tempDataDir();
    const first = await Spool.open(spoolOptions(dataDir));
    await expect(Spool.open(spoolOptions(dataDir))).rejects.toMatchObject({ code: 'SHIPLOG_ERR_SPOOL_LOCKED' });
    await first.close();
    const second = await Spool.open(spoolOptions(dataDir));
    await second.close();
  });
});
