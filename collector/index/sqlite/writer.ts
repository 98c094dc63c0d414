// Writes one bundle's events into a new generation: batches of rows in
// short IMMEDIATE transactions (so a second writer of the same tenant, in
// this process or another, gets the lock between batches instead of timing
// out), then one final merge of the FTS5 segments, then the one-statement
// flip that makes the whole bundle visible (generations.ts).
//
// Inside one process, writers need no further lock: every batch is one
// synchronous transaction on the JavaScript thread, and nothing holds a
// transaction across an await.
//
// Each batch: the events go into events_<gen> with multi-row INSERTs (one
// call per 32 rows), then FTS5 indexes them with one INSERT ... SELECT
// sorted by rowid (FTS5 writes a segment per run of increasing rowids, so
// sorted input is one segment per batch). Automatic merging is off while
// writing; commit() merges in small steps, each its own transaction.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BundleWriter, IndexedEvent } from '../types.ts';
import { splitEvent } from './documents.ts';
import { beginGeneration, dropGeneration, endGeneration, publishGeneration } from './generations.ts';
import { eventsTable, ftsTable, MAX_SEQ, restsTable, SEQ_BITS, SQL_SLOT_OF_MS } from './layout.ts';
import { parseTimestamp } from './timestamps.ts';

export interface WriterOptions {
  /** Events per transaction. */
  readonly batchRows?: number;
  /** Distinct JSON remainders stored once each; past this, each is stored with its row. */
  readonly maxSharedRests?: number;
  /** Called once the writer has finished (committed or aborted), with the generation. */
  readonly onDone?: (gen: number) => void;
}

const ROWS_PER_INSERT = 32;
const COLUMNS = 11;
/** Pages the final merge writes per transaction (4 KiB each). */
const MERGE_PAGES = 2000;
type Field = 'site' | 'container' | 'service' | 'source' | 'file' | 'level' | 'stream';

interface PendingRow {
  readonly ms: number;
  readonly ns: number;
  readonly ts: string;
  readonly message: string;
  readonly values: readonly (string | undefined)[];
  readonly line: number;
  readonly rest: string | undefined;
}

/** Value order in PendingRow.values. */
const FIELDS: readonly Field[] = ['site', 'container', 'service', 'source', 'file', 'level', 'stream'];

export class SqliteBundleWriter implements BundleWriter {
  readonly gen: number;
  private readonly db: DatabaseSync;
  private readonly dbKey: string;
  private readonly tenant: string;
  private readonly bundle: string;
  private readonly batchRows: number;
  private readonly maxSharedRests: number;
  private readonly onDone: ((gen: number) => void) | undefined;
  private pending: PendingRow[] = [];
  private state: 'open' | 'committing' | 'done' = 'open';
  /** Set when a batch failed: the caches no longer match the file, so only abort() is left. */
  private failure: unknown;
  private nextSeq = 1;
  private minMs = Number.POSITIVE_INFINITY;
  private maxMs = Number.NEGATIVE_INFINITY;
  private readonly fieldIds = new Map<Field, Map<string, number>>(FIELDS.map((field) => [field, new Map()]));
  private readonly originIds = new Map<string, number>();
  private readonly restIds = new Map<string, bigint>();
  private readonly counts = {
    o: new Map<number, number>(),
    l: new Map<number, number>(),
    t: new Map<number, number>(),
  };
  private readonly statements: {
    insertMany: StatementSync;
    insertFts: StatementSync;
    insertRest: StatementSync;
    upsertValue: StatementSync;
    selectValue: StatementSync;
    upsertOrigin: StatementSync;
    selectOrigin: StatementSync;
    heartbeat: StatementSync;
  };

  private constructor(
    db: DatabaseSync,
    dbKey: string,
    tenant: string,
    bundle: string,
    gen: number,
    options: WriterOptions,
  ) {
    this.db = db;
    this.dbKey = dbKey;
    this.tenant = tenant;
    this.bundle = bundle;
    this.gen = gen;
    this.batchRows = options.batchRows ?? 16384;
    this.maxSharedRests = options.maxSharedRests ?? 50_000;
    this.onDone = options.onDone;
    const events = eventsTable(gen);
    const fts = ftsTable(gen);
    this.statements = {
      insertMany: db.prepare(insertSql(events, ROWS_PER_INSERT)),
      insertFts: db.prepare(
        `INSERT INTO ${fts} (rowid, message, meta)
         SELECT (${SQL_SLOT_OF_MS} << ${SEQ_BITS}) | id, message,
                'xa xo' || origin || iif(level, ' xl' || level, '') || iif(stream, ' xt' || stream, '')
           FROM ${events} WHERE id BETWEEN ? AND ? ORDER BY 1`,
      ),
      insertRest: db.prepare(`INSERT INTO ${restsTable(gen)} (id, json) VALUES (?, ?)`),
      upsertValue: db.prepare('INSERT INTO field_values (field, value) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      selectValue: db.prepare('SELECT id FROM field_values WHERE field = ? AND value = ?'),
      upsertOrigin: db.prepare(
        'INSERT INTO origins (site, container, service, source, file) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      selectOrigin: db.prepare(
        'SELECT id FROM origins WHERE site = ? AND container = ? AND service = ? AND source = ? AND file = ?',
      ),
      heartbeat: db.prepare('UPDATE generations SET heartbeat_ms = ? WHERE gen = ?'),
    };
  }

  /** Starts a generation for the bundle on `db` (a connection this writer then owns and closes). */
  static start(
    db: DatabaseSync,
    dbKey: string,
    tenant: string,
    bundle: string,
    options: WriterOptions = {},
  ): SqliteBundleWriter {
    const gen = beginGeneration(db, dbKey, bundle);
    return new SqliteBundleWriter(db, dbKey, tenant, bundle, gen, options);
  }

  add(events: readonly IndexedEvent[]): void {
    this.checkOpen();
    for (const event of events) {
      const split = splitEvent(event, this.tenant, this.bundle);
      const time = parseTimestamp(split.timestamp);
      if (!time) {
        throw new TypeError(
          `"@timestamp" ${JSON.stringify(split.timestamp)} of ${split.file}:${split.line} is not an RFC 3339 time`,
        );
      }
      if (time.ms < this.minMs) this.minMs = time.ms;
      if (time.ms > this.maxMs) this.maxMs = time.ms;
      this.pending.push({
        ms: time.ms,
        ns: time.ns,
        ts: split.timestamp,
        message: split.message,
        values: [split.site, split.container, split.service, split.source, split.file, split.level, split.stream],
        line: split.line,
        rest: split.rest,
      });
      if (this.pending.length >= this.batchRows) this.flush();
    }
  }

  async commit(): Promise<void> {
    this.checkOpen();
    this.state = 'committing';
    try {
      this.flush();
      await this.mergeSegments();
      this.transaction(() => {
        const insertCount = this.db.prepare('INSERT INTO generation_counts (gen, kind, id, count) VALUES (?, ?, ?, ?)');
        for (const [kind, counts] of Object.entries(this.counts)) {
          for (const [id, count] of counts) insertCount.run(this.gen, kind, id, count);
        }
        const events = this.nextSeq - 1;
        this.db
          .prepare('UPDATE generations SET events = ?, min_ms = ?, max_ms = ? WHERE gen = ?')
          .run(events, events ? this.minMs : null, events ? this.maxMs : null, this.gen);
        publishGeneration(this.db, this.gen, this.bundle);
      });
    } catch (error) {
      // Nothing was published: drop what was written (or leave it to the next clean-up if even that fails).
      try {
        dropGeneration(this.db, this.gen);
      } catch {
        // The next writer or index open drops it.
      }
      this.finish();
      throw error;
    }
    this.finish();
  }

  private checkOpen(): void {
    if (this.failure !== undefined) {
      throw new Error(`the index writer of bundle "${this.bundle}" failed earlier; abort it`, { cause: this.failure });
    }
    if (this.state !== 'open') throw new Error(`the index writer of bundle "${this.bundle}" is already ${this.state}`);
  }

  async abort(): Promise<void> {
    if (this.state === 'done') return;
    this.state = 'done';
    this.pending = [];
    try {
      dropGeneration(this.db, this.gen);
    } finally {
      this.finish();
    }
  }

  /** Writes the pending rows and indexes them, in one transaction. */
  private flush(): void {
    const rows = this.pending;
    if (rows.length === 0) return;
    if (this.nextSeq + rows.length - 1 > MAX_SEQ) {
      throw new RangeError(`bundle "${this.bundle}" has more events than one index write holds (${MAX_SEQ})`);
    }
    this.pending = [];
    try {
      this.writeBatch(rows);
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  private writeBatch(rows: readonly PendingRow[]): void {
    this.transaction(() => {
      const first = this.nextSeq;
      const params: (number | bigint | string | null)[] = [];
      for (const row of rows) {
        const ids = row.values.map((value, i) => (value === undefined ? 0 : this.valueId(FIELDS[i] as Field, value)));
        const origin = this.originId(ids);
        const level = ids[5] as number;
        const stream = ids[6] as number;
        this.count('o', origin);
        this.count('l', level);
        this.count('t', stream);
        params.push(
          this.nextSeq++,
          row.ms,
          row.ns,
          row.ts,
          row.message,
          origin,
          ids[4] as number,
          row.line,
          level,
          stream,
          row.rest === undefined ? null : this.restRef(row.rest),
        );
        if (params.length === ROWS_PER_INSERT * COLUMNS) {
          this.statements.insertMany.run(...params);
          params.length = 0;
        }
      }
      if (params.length > 0) {
        this.db.prepare(insertSql(eventsTable(this.gen), params.length / COLUMNS)).run(...params);
      }
      this.statements.insertFts.run(first, this.nextSeq - 1);
      this.statements.heartbeat.run(Date.now(), this.gen);
    });
  }

  /** Merges the FTS5 segments into one, a few pages per transaction, yielding between steps. */
  private async mergeSegments(): Promise<void> {
    const fts = ftsTable(this.gen);
    const merge = this.db.prepare(`INSERT INTO ${fts} (${fts}, rank) VALUES ('merge', ?)`);
    const changes = this.db.prepare('SELECT total_changes() AS n');
    for (;;) {
      const done = this.transaction(() => {
        const before = (changes.get() as { n: number }).n;
        merge.run(-MERGE_PAGES);
        this.statements.heartbeat.run(Date.now(), this.gen);
        // The heartbeat is one change; a merge that did nothing adds at most one more.
        return (changes.get() as { n: number }).n - before < 3;
      });
      if (done) return;
      await yieldToLoop();
    }
  }

  private valueId(field: Field, value: string): number {
    const known = this.fieldIds.get(field) as Map<string, number>;
    let id = known.get(value);
    if (id === undefined) {
      this.statements.upsertValue.run(field, value);
      id = (this.statements.selectValue.get(field, value) as { id: number }).id;
      known.set(value, id);
    }
    return id;
  }

  private originId(ids: readonly number[]): number {
    const key = `${ids[0]},${ids[1]},${ids[2]},${ids[3]},${ids[4]}`;
    let id = this.originIds.get(key);
    if (id === undefined) {
      const five = ids.slice(0, 5);
      this.statements.upsertOrigin.run(...five);
      id = (this.statements.selectOrigin.get(...five) as { id: number }).id;
      this.originIds.set(key, id);
    }
    return id;
  }

  /**
   * The shared id of a JSON remainder (a BigInt: node:sqlite binds numbers
   * as REAL, and the column keeps what it gets), or the JSON itself once too
   * many distinct ones were seen.
   */
  private restRef(json: string): bigint | string {
    let id = this.restIds.get(json);
    if (id === undefined) {
      if (this.restIds.size >= this.maxSharedRests) return json;
      id = BigInt(this.restIds.size + 1);
      this.statements.insertRest.run(id, json);
      this.restIds.set(json, id);
    }
    return id;
  }

  private count(kind: 'o' | 'l' | 't', id: number): void {
    const counts = this.counts[kind];
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  private finish(): void {
    this.state = 'done';
    endGeneration(this.dbKey, this.gen);
    try {
      this.db.close();
    } catch {
      // Already closed.
    }
    this.onDone?.(this.gen);
  }
}

function insertSql(table: string, rows: number): string {
  const one = `(${Array.from({ length: COLUMNS }, () => '?').join(', ')})`;
  return `INSERT INTO ${table} (id, ms, ns, ts, message, origin, file, line, level, stream, rest) VALUES ${Array.from({ length: rows }, () => one).join(', ')}`;
}
