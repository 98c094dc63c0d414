// Opens a SQLite database (node:sqlite) the way every collector store uses
// it: WAL, so readers never wait for the one writer and a command run beside
// `serve` works on the same files; a busy timeout instead of SQLITE_BUSY
// errors; foreign keys on; the file readable by the collector's user only.
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export function openDatabase(path: string): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // The busy timeout comes first: two processes opening a new file at once both switch it to WAL.
  const db = new DatabaseSync(path, { timeout: 10_000 });
  try {
    chmodSync(path, 0o600);
  } catch {
    // A file system without modes: nothing to tighten.
  }
  db.exec(
    'PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;',
  );
  return db;
}

/** Runs `work` in one IMMEDIATE transaction (the writer lock is taken up front, so no upgrade deadlock). */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
