// The worker thread of fts-build.ts: builds one generation's FTS5 index in
// a scratch file while the writer goes on storing events. It reads the
// events the writer committed (its own connection to the tenant file) and
// writes nothing to the tenant file.
//
// It indexes in chunks, each one sorted INSERT ... SELECT in one
// transaction with a large FTS5 hash, so that each chunk becomes one
// segment, and it never merges segments: a finished segment never changes,
// so the writer can copy it while later ones are built. Chunks grow with
// the bundle (a sixteenth of what came before, from 128 Ki events up to
// four times that), which keeps a large bundle to a few dozen segments
// while the last chunk, indexed after commit() was called, stays small. A chunk only reads
// rows the writer had committed when the chunk began.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { eventsTable, ftsTable } from './layout.ts';
import { createFtsTable, indexEventsSql } from './schema.ts';

export interface BuildSetup {
  readonly tenantPath: string;
  readonly buildPath: string;
  readonly gen: number;
  /** The smallest chunk (tests make it small to get many segments). */
  readonly minChunkRows: number;
}

export type BuildRequest =
  | { readonly type: 'rows'; readonly from: number; readonly to: number }
  | { readonly type: 'finish' };
export type BuildReply = { readonly type: 'finished' } | { readonly type: 'failed'; readonly message: string };

/** FTS5's in-memory buffer of terms before it writes a segment (default 1 MiB). */
const HASH_BYTES = 128 << 20;
/** FTS5 merges segments by itself once a level holds this many; this many is its maximum. */
const NEVER_MERGE = 2000;

const { tenantPath, buildPath, gen, minChunkRows } = workerData as BuildSetup;
const maxChunkRows = minChunkRows * 4;
const port = parentPort;
if (!port) throw new Error('fts-worker.ts runs as a worker thread');

let db: DatabaseSync | undefined;
let failed = false;
let indexed = 0;

try {
  db = new DatabaseSync(tenantPath, { timeout: 10_000 });
  db.exec('PRAGMA cache_size = -16384');
  db.prepare('ATTACH ? AS build').run(buildPath);
  // Scratch: WAL so that the writer can read finished segments while more are written; never synced.
  db.exec('PRAGMA build.journal_mode = WAL; PRAGMA build.synchronous = OFF; PRAGMA build.cache_size = -32768');
  createFtsTable(db, 'build', gen);
  const fts = ftsTable(gen);
  db.exec(`
    INSERT INTO build.${fts} (${fts}, rank) VALUES ('hashsize', ${HASH_BYTES});
    INSERT INTO build.${fts} (${fts}, rank) VALUES ('crisismerge', ${NEVER_MERGE});
  `);
} catch (error) {
  fail(error);
}

const index =
  db && !failed ? db.prepare(indexEventsSql(`main.${eventsTable(gen)}`, `build.${ftsTable(gen)}`)) : undefined;

/** Rows announced but not indexed yet: from..to. */
let pending: { from: number; to: number } | undefined;

function indexPending(): void {
  if (!db || !index || !pending) return;
  db.exec('BEGIN');
  index.run(pending.from, pending.to);
  db.exec('COMMIT');
  indexed += pending.to - pending.from + 1;
  pending = undefined;
}

port.on('message', (request: BuildRequest) => {
  if (failed || !db || !index) return;
  try {
    if (request.type === 'rows') {
      pending = { from: pending?.from ?? request.from, to: request.to };
      const chunk = Math.min(maxChunkRows, Math.max(minChunkRows, Math.floor(indexed / 16)));
      if (pending.to - pending.from + 1 >= chunk) indexPending();
    } else {
      indexPending();
      db.exec('PRAGMA build.wal_checkpoint(TRUNCATE)');
      db.close();
      db = undefined;
      port.postMessage({ type: 'finished' } satisfies BuildReply);
    }
  } catch (error) {
    fail(error);
  }
});

function fail(error: unknown): void {
  failed = true;
  try {
    if (db?.isTransaction) db.exec('ROLLBACK');
    db?.close();
  } catch {
    // Closing after a failure.
  }
  db = undefined;
  port?.postMessage({ type: 'failed', message: (error as Error)?.message ?? String(error) } satisfies BuildReply);
}
