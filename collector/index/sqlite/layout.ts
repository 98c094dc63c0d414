// Where a tenant's index lives and how an event's place in time is encoded.
//
// One SQLite file per tenant, index/<tenant>.db, so no query can reach
// another tenant's rows. Inside it, each write of a bundle (a generation)
// has its own tables: events_<gen> (the events, rowid = the event's
// sequence number in that write), fts_<gen> (the FTS5 index) and
// rests_<gen> (shared JSON remainders). A generation is invisible until its
// writer commits; see generations.ts.
//
// The FTS5 rowid of an event is (second << 31) | sequence: its UTC second
// (from 1970, clamped to 0 .. 2^32-1, so 1970 to 2106) in the high bits, its
// sequence in the low 31. FTS5 returns matches in rowid order, so a query's
// matches come out sorted by second at no cost; the exact order (millisecond,
// nanosecond, sequence) only has to be sorted within a second. The second
// also gives histograms and time bounds straight from the FTS5 index, and
// the sequence finds the event row without a lookup table.
import { join } from 'node:path';

/** Bits of the sequence number in an FTS5 rowid: at most 2^31 - 1 events per bundle write. */
export const SEQ_BITS = 31;
export const SEQ_MASK = 0x7fffffff;
export const MAX_SEQ = SEQ_MASK;
/** Width of a rowid time slot. */
export const SLOT_MS = 1000;
export const MAX_SLOT = 0xffffffff;

/** The rowid slot of a time: its second since 1970, clamped to the slot range. Non-decreasing in ms. */
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

export const eventsTable = (gen: number) => `events_${gen}`;
export const ftsTable = (gen: number) => `fts_${gen}`;
export const restsTable = (gen: number) => `rests_${gen}`;
