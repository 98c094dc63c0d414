// One agent per spool: `<dir>/LOCK` is created exclusively and holds the
// owner's pid (and its start time, to see through pid reuse). A lock left by a
// process that is gone is taken over, so a crash never needs manual cleanup.
import { readFileSync } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError } from '../../core/coded-error.ts';
import { errorCode } from '../checkpoint/store.ts';
import { agentErrors } from '../errors.ts';

export interface SpoolLock {
  readonly path: string;
  release(): Promise<void>;
}

// Locks this process holds: a LOCK naming our own pid that is not in here was
// left by an earlier process that had the same pid (PID 1 in a container).
const held = new Set<string>();

// A lock file seen empty this recently may belong to a process between
// creating it and writing its pid.
const YOUNG_MS = 5_000;

export async function acquireLock(dir: string): Promise<SpoolLock> {
  const path = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n${startTime(process.pid) ?? ''}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      held.add(path);
      return { path, release: () => release(path) };
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') {
        throw new CodedError(agentErrors.SPOOL_IO, { dir, detail: message(error) }, { cause: error });
      }
    }
    const holder = await readHolder(path);
    if (holder === 'gone') continue;
    if (holder.live) throw new CodedError(agentErrors.SPOOL_LOCKED, { dir, pid: holder.pid ?? 'unknown' });
    // Move the stale lock aside under a name of our own: if two agents race
    // for it, only one rename succeeds and the other retries from the start.
    const aside = `${path}.stale.${process.pid}`;
    try {
      await rename(path, aside);
      await unlink(aside);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') {
        throw new CodedError(agentErrors.SPOOL_IO, { dir, detail: message(error) }, { cause: error });
      }
    }
  }
  throw new CodedError(agentErrors.SPOOL_LOCKED, { dir, pid: 'unknown' });
}

async function release(path: string): Promise<void> {
  if (!held.delete(path)) return;
  try {
    const [pid] = (await readFile(path, 'utf8')).split('\n');
    if (Number(pid) === process.pid) await unlink(path);
  } catch {
    // Already gone: nothing to release.
  }
}

async function readHolder(path: string): Promise<'gone' | { pid: number | undefined; live: boolean }> {
  let text: string;
  let mtimeMs: number;
  try {
    text = await readFile(path, 'utf8');
    mtimeMs = (await stat(path)).mtimeMs;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'gone';
    throw error;
  }
  const [pidText = '', startText = ''] = text.split('\n');
  const pid = /^\d+$/.test(pidText.trim()) ? Number(pidText.trim()) : undefined;
  if (pid === undefined) return { pid, live: Date.now() - mtimeMs < YOUNG_MS };
  if (pid === process.pid) return { pid, live: held.has(path) };
  if (!isAlive(pid)) return { pid, live: false };
  const recorded = startText.trim();
  const current = startTime(pid);
  // The pid is alive, but if it started at another time it is a different process.
  if (recorded !== '' && current !== undefined && recorded !== current) return { pid, live: false };
  return { pid, live: true };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
  // A killed process that its parent has not reaped yet still answers signals.
  return procStat(pid)?.state !== 'Z';
}

function startTime(pid: number): string | undefined {
  return procStat(pid)?.start;
}

/** State and start time (clock ticks since boot) from /proc/<pid>/stat, where /proc exists. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may contain spaces; fields follow the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
