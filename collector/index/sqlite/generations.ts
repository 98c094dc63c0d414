// Generations: each write of a bundle gets a new generation number and its
// own tables, invisible to search while the state is 'writing'. commit()
// flips the new generation to 'visible' and the bundle's previous one to
// 'retired' in one UPDATE, so a reader sees the old events or the new, never
// both or neither; retired tables are dropped afterwards. Nothing is ever
// visible half-written, whatever kills the writer.
//
// Leftovers (retired generations not yet dropped, and 'writing' ones whose
// writer is gone: killed, crashed) are dropped when a writer starts and when
// an index first opens the file. A writer is gone when its process is: the
// owner records host, pid and the process's start time (so a recycled pid
// is not mistaken for it); a writer on another host (a shared file system)
// counts as gone once its heartbeat is an hour old.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { buildPathOf, removeBuildFile } from './fts-build.ts';
import { createGenerationTables, dropGenerationTables } from './schema.ts';

const FOREIGN_WRITER_STALE_MS = 3_600_000;

/**
 * Generations being written by this process (a pid check cannot tell them
 * apart from leftovers of this pid), by the tenant file's identity (device
 * and inode, so that two spellings of its path agree) and generation.
 */
const activeHere = new Set<string>();

function activeKey(path: string, gen: number): string {
  try {
    const stat = statSync(path);
    return `${stat.dev}:${stat.ino}#${gen}`;
  } catch {
    return `${resolve(path)}#${gen}`;
  }
}

let ownerCache: string | undefined;

/** host:pid:start-time of this process. */
export function ownerId(): string {
  ownerCache ??= `${hostname()}:${process.pid}:${processStart(process.pid) ?? 'unknown'}`;
  return ownerCache;
}

/** The start time of a process in clock ticks since boot (Linux), or undefined where /proc has none. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function writerIsAlive(dbKey: string, gen: number, owner: string, heartbeatMs: number): boolean {
  if (owner === ownerId()) return activeHere.has(activeKey(dbKey, gen));
  const [host, pidText, start] = owner.split(':');
  if (host !== hostname()) return Date.now() - heartbeatMs < FOREIGN_WRITER_STALE_MS;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const current = processStart(pid);
  if (current !== undefined) return start === 'unknown' || current === start;
  try {
    process.kill(pid, 0);
    // Without /proc the pid check is all there is.
    return start === 'unknown';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface GenerationInfo {
  readonly gen: number;
  readonly bundle: string;
  readonly events: number;
  readonly minMs: number | null;
  readonly maxMs: number | null;
}

/** Starts a generation for `bundle`: a row in 'writing' state and its empty tables. */
export function beginGeneration(db: DatabaseSync, dbKey: string, bundle: string): number {
  db.exec('BEGIN IMMEDIATE');
  try {
    const row = db
      .prepare(`INSERT INTO generations (bundle, state, owner, heartbeat_ms) VALUES (?, 'writing', ?, ?) RETURNING gen`)
      .get(bundle, ownerId(), Date.now()) as { gen: number };
    createGenerationTables(db, row.gen);
    db.exec('COMMIT');
    activeHere.add(activeKey(dbKey, row.gen));
    return row.gen;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** The writer of this generation stopped (committed or aborted) in this process. */
export function endGeneration(dbKey: string, gen: number): void {
  activeHere.delete(activeKey(dbKey, gen));
}

/**
 * Makes `gen` the visible generation of its bundle and retires the one
 * before, in one statement (call inside the committing transaction).
 */
export function publishGeneration(db: DatabaseSync, gen: number, bundle: string): void {
  const result = db
    .prepare(
      `UPDATE generations
          SET state = CASE WHEN gen = :gen THEN 'visible' ELSE 'retired' END,
              committed_ms = CASE WHEN gen = :gen THEN :now ELSE committed_ms END
        WHERE bundle = :bundle AND (gen = :gen OR state = 'visible')`,
    )
    .run({ gen, bundle, now: Date.now() });
  if (result.changes === 0) throw new Error(`generation ${gen} of bundle "${bundle}" is gone; it cannot be committed`);
}

/** Retires the visible generations of a bundle (one statement): deleting it from search. */
export function retireBundle(db: DatabaseSync, bundle: string): void {
  db.prepare(`UPDATE generations SET state = 'retired' WHERE bundle = ? AND state = 'visible'`).run(bundle);
}

/** Drops the retired generations of a bundle (after a commit replaced them, or a delete). */
export function dropRetired(db: DatabaseSync, bundle: string): void {
  const rows = db.prepare(`SELECT gen FROM generations WHERE bundle = ? AND state = 'retired'`).all(bundle) as {
    gen: number;
  }[];
  for (const { gen } of rows) dropGeneration(db, gen);
}

/** Drops one generation's tables and rows (each generation in its own short transaction), and its scratch file. */
export function dropGeneration(db: DatabaseSync, gen: number): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    // Only if it is not visible: a concurrent commit may have published it meanwhile.
    const row = db.prepare('SELECT state FROM generations WHERE gen = ?').get(gen) as { state: string } | undefined;
    if (row?.state !== 'visible') {
      dropGenerationTables(db, gen);
      db.prepare('DELETE FROM generation_counts WHERE gen = ?').run(gen);
      db.prepare('DELETE FROM generation_slots WHERE gen = ?').run(gen);
      db.prepare('DELETE FROM generations WHERE gen = ?').run(gen);
    }
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
  removeBuildFile(buildPathOf(db.location() ?? '', gen));
}

/**
 * Drops retired generations and those whose writer is gone, and scratch
 * files no live writer owns. Returns the generations dropped.
 */
export function cleanUpLeftovers(db: DatabaseSync, dbKey: string): number[] {
  const rows = db.prepare(`SELECT gen, state, owner, heartbeat_ms FROM generations WHERE state != 'visible'`).all() as {
    gen: number;
    state: string;
    owner: string;
    heartbeat_ms: number;
  }[];
  const dropped: number[] = [];
  const writing = new Set<number>();
  for (const row of rows) {
    if (row.state === 'writing' && writerIsAlive(dbKey, row.gen, row.owner, row.heartbeat_ms)) {
      writing.add(row.gen);
      continue;
    }
    dropGeneration(db, row.gen);
    dropped.push(row.gen);
  }
  const prefix = `${basename(dbKey)}.build-`;
  let names: string[] = [];
  try {
    names = readdirSync(dirname(dbKey));
  } catch {
    // No directory, no scratch files.
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const gen = Number.parseInt(name.slice(prefix.length), 10);
    if (!writing.has(gen)) removeBuildFile(join(dirname(dbKey), name.replace(/-(journal|wal|shm)$/, '')));
  }
  return dropped;
}

/** The visible generations (call inside a read transaction, so the list and the tables agree). */
export function visibleGenerations(db: DatabaseSync): GenerationInfo[] {
  const rows = db
    .prepare(`SELECT gen, bundle, events, min_ms, max_ms FROM generations WHERE state = 'visible' ORDER BY gen`)
    .all() as { gen: number; bundle: string; events: number; min_ms: number | null; max_ms: number | null }[];
  return rows.map((row) => ({
    gen: row.gen,
    bundle: row.bundle,
    events: row.events,
    minMs: row.min_ms,
    maxMs: row.max_ms,
  }));
}
