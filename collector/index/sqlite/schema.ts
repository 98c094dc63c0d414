// The tables of a tenant's index file. Tenant-wide: the list of
// generations (one per bundle write) and which are visible, the values of
// the filter fields and the origins (site, container, service, source, file)
// that events point at, and per generation the counts of its origins, levels
// and streams. Per generation: events_<gen>, fts_<gen>, rests_<gen>.
//
// Indexes, and why:
// - events_<gen> has its rowid (the sequence number) and one index, (file,
//   line), for context: the lines around a hit in its file. Nothing else is
//   indexed there, because every other question goes through FTS5.
// - fts_<gen> indexes the message and, in a second column, a few synthetic
//   terms per event: `xa` (every event: the universe that NOT-only queries
//   subtract from), `xo<origin>`, `xl<level>`, `xt<stream>`. Field clauses
//   and filters become those terms, so counts, pages, histograms and facets
//   under filters never leave the FTS5 index. It is contentless (the text is
//   in events_<gen>) and keeps no per-row sizes (no ranking is done).
// - field_values (field, value) is unique, as origins are over their five
//   ids: writers look values up and readers turn ids back into values.
import type { DatabaseSync } from 'node:sqlite';
import { ftsTokenizerOption } from '../terms.ts';
import { eventsTable, ftsTable, restsTable, SEQ_BITS, SQL_SLOT_OF_MS } from './layout.ts';

const migrations: readonly string[] = [
  `
  CREATE TABLE generations (
    gen INTEGER PRIMARY KEY AUTOINCREMENT,     -- never reused, so an old hit id never names new rows
    bundle TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('writing', 'visible', 'retired')),
    owner TEXT NOT NULL,                       -- host:pid:start of the writing process
    heartbeat_ms INTEGER NOT NULL,             -- last sign of life of the writer
    events INTEGER NOT NULL DEFAULT 0,
    min_ms INTEGER,
    max_ms INTEGER,
    committed_ms INTEGER
  ) STRICT;
  CREATE INDEX generations_bundle ON generations (bundle, state);

  CREATE TABLE field_values (
    id INTEGER PRIMARY KEY,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (field, value)
  ) STRICT;

  -- Where an event comes from; 0 stands for an absent value.
  CREATE TABLE origins (
    id INTEGER PRIMARY KEY,
    site INTEGER NOT NULL,
    container INTEGER NOT NULL,
    service INTEGER NOT NULL,
    source INTEGER NOT NULL,
    file INTEGER NOT NULL,
    UNIQUE (site, container, service, source, file)
  ) STRICT;

  -- Per generation: events per origin ('o'), level ('l') and stream ('t'); id 0 counts events without one.
  CREATE TABLE generation_counts (
    gen INTEGER NOT NULL,
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (gen, kind, id)
  ) STRICT, WITHOUT ROWID;

  -- Per generation: events per time slot (layout.ts), for counts and histograms of everything.
  CREATE TABLE generation_slots (
    gen INTEGER NOT NULL,
    slot INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (gen, slot)
  ) STRICT, WITHOUT ROWID;
  `,
];

/** Creates or upgrades the tenant-wide tables (in one transaction). */
export function migrate(db: DatabaseSync): void {
  const version = userVersion(db);
  if (version >= migrations.length) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    // Another process may have migrated while this one waited for the lock.
    for (let next = userVersion(db); next < migrations.length; next++) db.exec(migrations[next] as string);
    db.exec(`PRAGMA user_version = ${migrations.length}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/** True when the file holds the tables this code reads (a writer may have only just created it). */
export function isMigrated(db: DatabaseSync): boolean {
  return userVersion(db) >= migrations.length;
}

function userVersion(db: DatabaseSync): number {
  return (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
}

/** The tables of one generation (see createFtsTable for its FTS5 index). */
export function createGenerationTables(db: DatabaseSync, gen: number): void {
  const events = eventsTable(gen);
  db.exec(`
    CREATE TABLE ${events} (
      id INTEGER PRIMARY KEY,     -- sequence number within this write, from 1
      ms INTEGER NOT NULL,        -- UTC milliseconds
      ns INTEGER NOT NULL,        -- nanoseconds within the millisecond
      ts TEXT,                    -- @timestamp as written; NULL when tsf gives it back
      tsf INTEGER NOT NULL,       -- its canonical format (timestamps.ts), -1 when ts is kept
      message TEXT NOT NULL,
      origin INTEGER NOT NULL,    -- origins.id
      file INTEGER NOT NULL,      -- field_values.id of shiplog.file (also in the origin; here for the index)
      line INTEGER NOT NULL,
      level INTEGER NOT NULL,     -- field_values.id, 0 when absent
      stream INTEGER NOT NULL,    -- field_values.id, 0 when absent
      mirror INTEGER NOT NULL,    -- log.file repeats the position: 0 no, 1 {path, line}, 2 {path}
      rest ANY                    -- the rest of the event: ${restsTable(gen)}.id, or JSON text, or NULL
    ) STRICT;
    CREATE INDEX ${events}_file_line ON ${events} (file, line);
    CREATE TABLE ${restsTable(gen)} (id INTEGER PRIMARY KEY, json TEXT NOT NULL) STRICT;
  `);
  createFtsTable(db, 'main', gen);
}

/**
 * A generation's FTS5 index, in `schema` (the tenant file, or a writer's
 * scratch file: see fts-build.ts), with automatic merging off: the writer
 * merges once, at the end.
 */
export function createFtsTable(db: DatabaseSync, schema: string, gen: number): void {
  const fts = ftsTable(gen);
  db.exec(`
    CREATE VIRTUAL TABLE ${schema}.${fts} USING fts5(
      message, meta, content = '', columnsize = 0, tokenize = '${ftsTokenizerOption}'
    );
    INSERT INTO ${schema}.${fts} (${fts}, rank) VALUES ('automerge', 0);
  `);
}

/**
 * SQL that indexes the events with sequence numbers from ?1 to ?2 of
 * `events` (schema-qualified) into `fts`: rowid (slot << 31) | sequence,
 * sorted so that FTS5 writes one segment per call; the message, and the
 * synthetic meta terms.
 */
export function indexEventsSql(events: string, fts: string): string {
  return `INSERT INTO ${fts} (rowid, message, meta)
    SELECT (${SQL_SLOT_OF_MS} << ${SEQ_BITS}) | id, message,
           'xa xo' || origin || iif(level, ' xl' || level, '') || iif(stream, ' xt' || stream, '')
      FROM ${events} WHERE id BETWEEN ?1 AND ?2 ORDER BY 1`;
}

export function dropGenerationTables(db: DatabaseSync, gen: number): void {
  db.exec(`
    DROP TABLE IF EXISTS ${ftsTable(gen)};
    DROP TABLE IF EXISTS ${eventsTable(gen)};
    DROP TABLE IF EXISTS ${restsTable(gen)};
  `);
}
