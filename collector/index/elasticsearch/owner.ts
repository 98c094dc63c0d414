// Who is writing a generation, and whether that writer is gone: a writer
// records host:pid:start (the process's start time in clock ticks since
// boot, so that a recycled pid is not taken for it). On this host, a writer
// is gone when its process is; on another host (several collectors on one
// cluster), when it started more than STALE_MS ago.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export const STALE_MS = 24 * 3_600_000;

let self: string | undefined;

export function ownerId(): string {
  self ??= `${hostname()}:${process.pid}:${startOf(process.pid) ?? 'unknown'}`;
  return self;
}

function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The 22nd field; the command name (the 2nd) may hold spaces, so count after its ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * True when the writer `owner` that started at `startedMs` is gone. (A writer
 * of this very process looks alive here; the index knows which of its own
 * writers still run.)
 */
export function ownerIsGone(owner: string, startedMs: number, now = Date.now()): boolean {
  const [host, pidText, start] = owner.split(':');
  if (host !== hostname()) return now - startedMs > STALE_MS;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  const current = startOf(pid);
  if (current !== undefined) return start !== 'unknown' && current !== start;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}
