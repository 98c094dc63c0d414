// Where a tenant's index lives and how an event's place in time is encoded.
//
// One SQLite file per tenant, index/<tenant>.db, so no query can reach
// another tenant's rows. Inside it, each write of a bundle (a generation)
// has its own tables: events_<gen> (the events, rowid = the event's
// sequence number in that write), fts_<gen> (the FTS5 index) and
// rests_<gen> (shared JSON remainders). A generation is invisible until its
// writer commits; see generations.ts.
//
// The FTS5 rowid of an event is (slot << 31) | sequence: its time slot, the
// number of whole 10 seconds since 1970 (clamped to 0 .. 2^32-1, which
// reaches past the year 3000), in the high bits, its sequence in the low 31.
// FTS5 returns matches in rowid order, so a query's matches come out sorted
// by slot at no cost, and the exact order (millisecond, nanosecond,
// sequence) only has to be sorted within one slot. The slot also gives
// histograms and time bounds straight from the FTS5 index, and the sequence
// finds the event row without a lookup table.
//
// Why 10 seconds: FTS5 stores rowids as deltas, so the wider the slot, the
// more consecutive rows of one file share it and the smaller (and faster to
// write and merge) the index; the narrower, the fewer events one page must
// sort and the finer the histograms that need no row reads. One-second
// slots made ingest about a third slower than one-minute slots; 10 s sits
// between, sorts at most 10 s of a bundle per page, and answers every
// histogram of 10-second or wider buckets from the index alone.
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Bits of the sequence number in an FTS5 rowid: at most 2^31 - 1 events per bundle write. */
export const SEQ_BITS = 31;
export const SEQ_MASK = 0x7fffffff;
export const MAX_SEQ = SEQ_MASK;
/** Width of a rowid time slot. */
export const SLOT_MS = 10_000;
export const MAX_SLOT = 0xffffffff;

/** The rowid slot of a time, clamped to the slot range. Non-decreasing in ms. */
export function slotOf(ms: number): number {
  if (ms < 0) return 0;
  return Math.min(Math.floor(ms / SLOT_MS), MAX_SLOT);
}

/** The first FTS5 rowid of a slot (as BigInt: rowids need 63 bits). */
export function firstRowid(slot: number): bigint {
  return BigInt(slot) << BigInt(SEQ_BITS);
}

/** The last FTS5 rowid of a slot. */
export function lastRowid(slot: number): bigint {
  return (BigInt(slot) << BigInt(SEQ_BITS)) | BigInt(SEQ_MASK);
}

/** SQL: the slot of an events row's time, the same as slotOf (SQLite divides towards zero, and negatives clamp to 0). */
export const SQL_SLOT_OF_MS = `min(max(ms / ${SLOT_MS}, 0), ${MAX_SLOT})`;

const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isTenantName(name: unknown): name is string {
  return typeof name === 'string' && TENANT.test(name);
}

/** The index file of a tenant; the name is checked before it becomes part of a path. */
export function tenantDatabasePath(indexDir: string, tenant: string): string {
  if (!isTenantName(tenant)) {
    throw new TypeError(`"${String(tenant)}" is not a tenant name (lower-case letters, digits, "-" and "_")`);
  }
  return join(indexDir, `${tenant}.db`);
}

/**
 * Opens (creating if need be) a tenant's index file the way the collector
 * opens its databases (store/database.ts: WAL, NORMAL sync, owner-only
 * file), but with the busy timeout set as the connection opens: two
 * processes opening a new file at once both switch it to WAL, and the
 * second must wait for the first rather than fail.
 */
export function openIndexFile(path: string): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new DatabaseSync(path, { timeout: 10_000 });
  try {
    chmodSync(path, 0o600);
  } catch {
    // A file system without modes: nothing to tighten.
  }
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  return db;
}

export const eventsTable = (gen: number) => `events_${gen}`;
export const ftsTable = (gen: number) => `fts_${gen}`;
export const restsTable = (gen: number) => `rests_${gen}`;
