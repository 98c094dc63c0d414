// Ingest as durable jobs in control.db. A job is claimed by one process at a
// time (an UPDATE that only one writer can win), kept alive by a heartbeat,
// and taken over when its owner died: at once when the owner was a process
// on this host that no longer exists (a `kill -9`), after `staleMs` without a
// heartbeat otherwise. Redoing a job is safe: unpacking replaces the
// directory and the index replaces the bundle's events on commit, so a
// bundle is never half visible. At most `concurrency` jobs run at once per
// process (default one per core).
import { hostname } from 'node:os';
import type { DatabaseSync } from 'node:sqlite';

export interface JobQueueOptions {
  readonly concurrency: number;
  /** Runs one bundle's ingest; its errors are the runner's to record (a throw here is logged and the job ends). */
  readonly run: (bundle: string) => Promise<void>;
  readonly onError?: (bundle: string, error: unknown) => void;
  readonly pollMs?: number;
  readonly heartbeatMs?: number;
  readonly staleMs?: number;
}

export const processOwner = `${hostname()}:${process.pid}`;

export class JobQueue {
  readonly #db: DatabaseSync;
  readonly #options: Required<Omit<JobQueueOptions, 'onError'>> & Pick<JobQueueOptions, 'onError'>;
  readonly #running = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #beat: NodeJS.Timeout | undefined;
  #stopped = true;
  #idleWaiters: (() => void)[] = [];

  constructor(db: DatabaseSync, options: JobQueueOptions) {
    this.#db = db;
    this.#options = { pollMs: 1000, heartbeatMs: 5000, staleMs: 60_000, ...options };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#timer = setInterval(() => this.kick(), this.#options.pollMs);
    this.#timer.unref();
    this.#beat = setInterval(() => this.#heartbeat(), this.#options.heartbeatMs);
    this.#beat.unref();
    this.kick();
  }

  /** Looks for work now (after an upload in this process). */
  kick(): void {
    if (this.#stopped) return;
    while (this.#running.size < this.#options.concurrency) {
      const bundle = claimJob(this.#db, this.#options.staleMs);
      if (!bundle) break;
      const work = this.#runOne(bundle);
      this.#running.set(bundle, work);
    }
    if (this.#running.size === 0) this.#settleIdle();
  }

  /** Resolves once no job runs and none is queued (tests, the ingest command). */
  idle(): Promise<void> {
    if (this.#running.size === 0 && !hasQueued(this.#db)) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops claiming; waits for running jobs to finish. Idempotent, safe before start(). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearInterval(this.#beat);
    await Promise.allSettled(this.#running.values());
  }

  async #runOne(bundle: string): Promise<void> {
    try {
      await this.#options.run(bundle);
    } catch (error) {
      this.#options.onError?.(bundle, error);
    } finally {
      finishJob(this.#db, bundle);
      this.#running.delete(bundle);
      setImmediate(() => this.kick());
    }
  }

  #heartbeat(): void {
    const now = new Date().toISOString();
    const beat = this.#db.prepare('UPDATE jobs SET heartbeat_at = ? WHERE bundle = ? AND owner = ?');
    for (const bundle of this.#running.keys()) beat.run(now, bundle, processOwner);
  }

  #settleIdle(): void {
    if (hasQueued(this.#db)) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}

function hasQueued(db: DatabaseSync): boolean {
  return db.prepare(`SELECT 1 FROM jobs WHERE state != 'done' LIMIT 1`).get() !== undefined;
}

/** Claims the oldest runnable job for this process; undefined when there is none. */
export function claimJob(db: DatabaseSync, staleMs: number): string | undefined {
  const now = new Date();
  const stale = new Date(now.getTime() - staleMs).toISOString();
  const candidates = db
    .prepare(
      `SELECT bundle, state, owner, heartbeat_at FROM jobs WHERE state = 'queued' OR state = 'running'
       ORDER BY queued_at LIMIT 50`,
    )
    .all() as { bundle: string; state: string; owner: string | null; heartbeat_at: string | null }[];
  for (const job of candidates) {
    if (job.state === 'running' && !ownerIsGone(job.owner) && (job.heartbeat_at ?? '') >= stale) continue;
    const claimed = db
      .prepare(
        `UPDATE jobs SET state = 'running', owner = ?, heartbeat_at = ?, attempts = attempts + 1
         WHERE bundle = ? AND state = ? AND owner IS ?`,
      )
      .run(processOwner, now.toISOString(), job.bundle, job.state, job.owner);
    if (claimed.changes === 1) return job.bundle;
  }
  return undefined;
}

/** Marks a job done (its outcome is the bundle's status). */
export function finishJob(db: DatabaseSync, bundle: string): void {
  db.prepare(`UPDATE jobs SET state = 'done', owner = NULL WHERE bundle = ? AND owner = ?`).run(bundle, processOwner);
}

/** Queues a bundle's ingest again (a key accepted, a reindex). */
export function requeue(db: DatabaseSync, bundle: string): void {
  db.prepare(
    `INSERT INTO jobs (bundle, state, queued_at) VALUES (?, 'queued', ?)
     ON CONFLICT (bundle) DO UPDATE SET state = 'queued', owner = NULL, queued_at = excluded.queued_at`,
  ).run(bundle, new Date().toISOString());
}

/** True when `owner` names a process on this host that no longer runs. */
function ownerIsGone(owner: string | null): boolean {
  if (!owner) return true;
  const colon = owner.lastIndexOf(':');
  if (owner.slice(0, colon) !== hostname()) return false;
  const pid = Number(owner.slice(colon + 1));
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
