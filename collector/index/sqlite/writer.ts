// Writes one bundle's events into a new generation: batches of rows in
// short transactions (so a second writer of the same tenant, in this process
// or another, gets the lock between batches instead of timing out), the
// FTS5 index built beside them by a worker thread (fts-build.ts), then the
// one-statement flip that makes the whole bundle visible at once
// (generations.ts).
//
// Inside one process, writers need no further lock: every batch is one
// synchronous transaction on the JavaScript thread, and nothing holds a
// transaction across an await.
//
// add() takes each event apart at once into column arrays (no object per
// event survives it) and looks its field values up in this writer's maps;
// a value never seen in the tenant before is stored straight away in its
// own tiny transaction (that happens once per distinct value). Each batch
// goes into events_<gen> with multi-row INSERTs, 32 rows per call.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { BundleWriter, IndexedEvent } from '../types.ts';
import { emptySplit, type Json, sameJson, splitEvent } from './documents.ts';
import { FtsBuild } from './fts-build.ts';
import { beginGeneration, dropGeneration, dropRetired, endGeneration, publishGeneration } from './generations.ts';
import { eventsTable, ftsTable, MAX_SEQ, restsTable, slotOf } from './layout.ts';
import { indexEventsSql } from './schema.ts';
import { type EventTime, parseTimestampInto } from './timestamps.ts';

export interface WriterOptions {
  /** Events per transaction. */
  readonly batchRows?: number;
  /** Distinct JSON remainders stored once each; past this, each is stored with its row. */
  readonly maxSharedRests?: number;
  /** Events per FTS5 segment the builder thread starts with (fts-worker.ts). */
  readonly segmentRows?: number;
}

const ROWS_PER_INSERT = 32;
const COLUMNS = 13;
/** Pages an in-place merge writes per transaction (4 KiB each). */
const MERGE_PAGES = 2000;
const ABSENT = 0;

type Field = 'site' | 'container' | 'service' | 'source' | 'file' | 'level' | 'stream';

/** One batch of rows, column by column. */
class Batch {
  readonly ms: Float64Array;
  readonly ns: Float64Array;
  readonly origin: Float64Array;
  readonly file: Float64Array;
  readonly line: Float64Array;
  readonly level: Float64Array;
  readonly stream: Float64Array;
  readonly mirror: Float64Array;
  readonly format: Float64Array;
  readonly ts: (string | null)[] = [];
  readonly message: string[] = [];
  readonly rest: (bigint | string | null)[] = [];
  length = 0;

  constructor(capacity: number) {
    this.ms = new Float64Array(capacity);
    this.ns = new Float64Array(capacity);
    this.origin = new Float64Array(capacity);
    this.file = new Float64Array(capacity);
    this.line = new Float64Array(capacity);
    this.level = new Float64Array(capacity);
    this.stream = new Float64Array(capacity);
    this.mirror = new Float64Array(capacity);
    this.format = new Float64Array(capacity);
  }

  clear(): void {
    this.length = 0;
    this.ts.length = 0;
    this.message.length = 0;
    this.rest.length = 0;
  }
}

export class SqliteBundleWriter implements BundleWriter {
  readonly gen: number;
  private readonly db: DatabaseSync;
  private readonly tenantPath: string;
  private readonly tenant: string;
  private readonly bundle: string;
  private readonly batchRows: number;
  private readonly maxSharedRests: number;
  private readonly segmentRows: number | undefined;
  private readonly batch: Batch;
  private build: FtsBuild | undefined;
  private state: 'open' | 'committing' | 'done' = 'open';
  /** Set when a batch failed: what is in the file no longer matches this writer, so only abort() is left. */
  private failure: unknown;
  private nextSeq = 1;
  private minMs = Number.POSITIVE_INFINITY;
  private maxMs = Number.NEGATIVE_INFINITY;
  private readonly split = emptySplit();
  private readonly time: EventTime = { ms: 0, ns: 0, format: -1 };
  private readonly fieldIds = new Map<Field, Map<string, number>>();
  /** Origin ids by site, container, service, source and file id, nested. */
  private readonly originIds = new Map<number, Map<number, Map<number, Map<number, Map<number, number>>>>>();
  private lastOrigin = { site: -1, container: -1, service: -1, source: -1, file: -1, id: 0 };
  private readonly restIds = new Map<string, bigint>();
  private readonly newRests: [bigint, string][] = [];
  private lastRest: { value: Json; ref: bigint | string } | undefined;
  private readonly lastValues = new Map<Field, { value: string; id: number }>();
  private readonly counts = {
    o: new Map<number, number>(),
    l: new Map<number, number>(),
    t: new Map<number, number>(),
  };
  private readonly slotCounts = new Map<number, number>();
  private readonly statements: {
    insertMany: StatementSync;
    insertRest: StatementSync;
    upsertValue: StatementSync;
    selectValue: StatementSync;
    upsertOrigin: StatementSync;
    selectOrigin: StatementSync;
    heartbeat: StatementSync;
  };

  private constructor(
    db: DatabaseSync,
    tenantPath: string,
    tenant: string,
    bundle: string,
    gen: number,
    options: WriterOptions,
  ) {
    this.db = db;
    this.tenantPath = tenantPath;
    this.tenant = tenant;
    this.bundle = bundle;
    this.gen = gen;
    this.batchRows = Math.max(1, options.batchRows ?? 16384);
    this.maxSharedRests = options.maxSharedRests ?? 50_000;
    this.segmentRows = options.segmentRows;
    this.batch = new Batch(this.batchRows);
    for (const field of ['site', 'container', 'service', 'source', 'file', 'level', 'stream'] as const) {
      this.fieldIds.set(field, new Map());
    }
    this.statements = {
      insertMany: db.prepare(insertSql(eventsTable(gen), ROWS_PER_INSERT)),
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
    tenantPath: string,
    tenant: string,
    bundle: string,
    options: WriterOptions = {},
  ): SqliteBundleWriter {
    const gen = beginGeneration(db, tenantPath, bundle);
    return new SqliteBundleWriter(db, tenantPath, tenant, bundle, gen, options);
  }

  add(events: readonly IndexedEvent[]): void {
    this.checkOpen();
    const batch = this.batch;
    const split = this.split;
    const time = this.time;
    for (const event of events) {
      splitEvent(event, this.tenant, this.bundle, split);
      if (!parseTimestampInto(split.timestamp, time)) {
        throw new TypeError(
          `"@timestamp" ${JSON.stringify(split.timestamp)} of ${split.file}:${split.line} is not an RFC 3339 time`,
        );
      }
      const row = batch.length;
      const fileId = this.valueId('file', split.file);
      const origin = this.originId(
        this.valueId('site', split.site),
        split.container === undefined ? ABSENT : this.valueId('container', split.container),
        split.service === undefined ? ABSENT : this.valueId('service', split.service),
        this.valueId('source', split.source),
        fileId,
      );
      batch.ms[row] = time.ms;
      batch.ns[row] = time.ns;
      batch.origin[row] = origin;
      batch.file[row] = fileId;
      batch.line[row] = split.line;
      batch.level[row] = split.level === undefined ? ABSENT : this.valueId('level', split.level);
      batch.stream[row] = split.stream === undefined ? ABSENT : this.valueId('stream', split.stream);
      batch.mirror[row] = split.mirror;
      const format = time.format ?? -1;
      batch.format[row] = format;
      batch.ts.push(format < 0 ? split.timestamp : null);
      batch.message.push(split.message);
      batch.rest.push(split.rest === undefined ? null : this.restRef(split.rest));
      batch.length = row + 1;
      if (time.ms < this.minMs) this.minMs = time.ms;
      if (time.ms > this.maxMs) this.maxMs = time.ms;
      if (batch.length >= this.batchRows) this.flush(false);
    }
  }

  async commit(): Promise<void> {
    this.checkOpen();
    this.state = 'committing';
    try {
      this.flush(true);
      const heartbeat = () => this.statements.heartbeat.run(Date.now(), this.gen);
      if (this.build) await this.build.finish(this.db, heartbeat);
      else await this.mergeInPlace();
      this.transaction('BEGIN IMMEDIATE', () => {
        const insertCount = this.db.prepare('INSERT INTO generation_counts (gen, kind, id, count) VALUES (?, ?, ?, ?)');
        for (const [kind, counts] of Object.entries(this.counts)) {
          for (const [id, count] of counts) insertCount.run(this.gen, kind, id, count);
        }
        const insertSlot = this.db.prepare('INSERT INTO generation_slots (gen, slot, count) VALUES (?, ?, ?)');
        for (const [slot, count] of this.slotCounts) insertSlot.run(this.gen, slot, count);
        const events = this.nextSeq - 1;
        this.db
          .prepare('UPDATE generations SET events = ?, min_ms = ?, max_ms = ? WHERE gen = ?')
          .run(events, events ? this.minMs : null, events ? this.maxMs : null, this.gen);
        publishGeneration(this.db, this.gen, this.bundle);
      });
    } catch (error) {
      // Nothing was published: drop what was written (or leave it to the next clean-up if even that fails).
      await this.discard();
      throw error;
    }
    try {
      // The generation this one replaced; readers still inside an older snapshot keep reading it (WAL).
      dropRetired(this.db, this.bundle);
    } catch {
      // The next writer or index open drops it.
    }
    this.finish();
  }

  async abort(): Promise<void> {
    if (this.state === 'done') return;
    await this.discard();
  }

  private async discard(): Promise<void> {
    this.state = 'done';
    this.batch.clear();
    try {
      await this.build?.cancel(this.db);
      dropGeneration(this.db, this.gen);
    } catch {
      // The next writer or index open drops what is left.
    } finally {
      this.finish();
    }
  }

  private checkOpen(): void {
    if (this.failure !== undefined) {
      throw new Error(`the index writer of bundle "${this.bundle}" failed earlier; abort it`, { cause: this.failure });
    }
    if (this.state !== 'open') throw new Error(`the index writer of bundle "${this.bundle}" is already ${this.state}`);
  }

  /**
   * Writes the pending rows, in one transaction, and has them indexed: by
   * the builder thread, or (when the whole bundle is this one last batch)
   * in place, in the same transaction.
   */
  private flush(last: boolean): void {
    const batch = this.batch;
    if (batch.length === 0 && this.newRests.length === 0) return;
    if (this.nextSeq + batch.length - 1 > MAX_SEQ) {
      this.failure = new RangeError(`bundle "${this.bundle}" has more events than one index write holds (${MAX_SEQ})`);
      throw this.failure;
    }
    const first = this.nextSeq;
    const inPlace = last && !this.build;
    try {
      this.build?.attach(this.db);
      // Deferred, and writing the tenant file first: BEGIN IMMEDIATE would also lock the attached
      // scratch file, which the builder thread is writing.
      this.transaction('BEGIN', () => {
        this.statements.heartbeat.run(Date.now(), this.gen);
        for (const [id, json] of this.newRests) this.statements.insertRest.run(id, json);
        this.writeRows();
        if (inPlace && batch.length > 0) {
          this.db
            .prepare(indexEventsSql(`main.${eventsTable(this.gen)}`, `main.${ftsTable(this.gen)}`))
            .run(first, first + batch.length - 1);
        }
        this.build?.copySegments(this.db);
      });
    } catch (error) {
      this.failure = error;
      throw error;
    }
    this.newRests.length = 0;
    this.nextSeq = first + batch.length;
    if (!inPlace && batch.length > 0) {
      try {
        this.build ??= new FtsBuild(this.tenantPath, this.gen, this.segmentRows);
        this.build.rows(first, first + batch.length - 1);
      } catch (error) {
        this.failure = error;
        throw error;
      }
    }
    batch.clear();
  }

  private writeRows(): void {
    const batch = this.batch;
    const params: (number | bigint | string | null)[] = [];
    let seq = this.nextSeq;
    for (let row = 0; row < batch.length; row++) {
      const origin = batch.origin[row] as number;
      const level = batch.level[row] as number;
      const stream = batch.stream[row] as number;
      this.count('o', origin);
      this.count('l', level);
      this.count('t', stream);
      const slot = slotOf(batch.ms[row] as number);
      this.slotCounts.set(slot, (this.slotCounts.get(slot) ?? 0) + 1);
      params.push(
        seq++,
        batch.ms[row] as number,
        batch.ns[row] as number,
        batch.ts[row] as string | null,
        batch.format[row] as number,
        batch.message[row] as string,
        origin,
        batch.file[row] as number,
        batch.line[row] as number,
        level,
        stream,
        batch.mirror[row] as number,
        batch.rest[row] as bigint | string | null,
      );
      if (params.length === ROWS_PER_INSERT * COLUMNS) {
        this.statements.insertMany.run(...params);
        params.length = 0;
      }
    }
    if (params.length > 0) this.db.prepare(insertSql(eventsTable(this.gen), params.length / COLUMNS)).run(...params);
  }

  /** Merges the FTS5 segments of an index built in place, a few pages per transaction. */
  private async mergeInPlace(): Promise<void> {
    const fts = ftsTable(this.gen);
    const merge = this.db.prepare(`INSERT INTO ${fts} (${fts}, rank) VALUES ('merge', ?)`);
    const changes = this.db.prepare('SELECT total_changes() AS n');
    for (;;) {
      const done = this.transaction('BEGIN IMMEDIATE', () => {
        const before = (changes.get() as { n: number }).n;
        merge.run(-MERGE_PAGES);
        this.statements.heartbeat.run(Date.now(), this.gen);
        // The heartbeat is one change and a merge that did nothing adds one more.
        return (changes.get() as { n: number }).n - before < 3;
      });
      if (done) return;
      await yieldToLoop();
    }
  }

  private valueId(field: Field, value: string): number {
    const last = this.lastValues.get(field);
    if (last?.value === value) return last.id;
    const known = this.fieldIds.get(field) as Map<string, number>;
    let id = known.get(value);
    if (id === undefined) {
      this.statements.upsertValue.run(field, value);
      id = (this.statements.selectValue.get(field, value) as { id: number }).id;
      known.set(value, id);
    }
    this.lastValues.set(field, { value, id });
    return id;
  }

  private originId(site: number, container: number, service: number, source: number, file: number): number {
    const last = this.lastOrigin;
    if (
      last.file === file &&
      last.site === site &&
      last.container === container &&
      last.service === service &&
      last.source === source
    ) {
      return last.id;
    }
    const bySite = this.originIds;
    const byContainer = bySite.get(site) ?? bySite.set(site, new Map()).get(site);
    const byService = byContainer?.get(container) ?? byContainer?.set(container, new Map()).get(container);
    const bySource = byService?.get(service) ?? byService?.set(service, new Map()).get(service);
    const byFile = bySource?.get(source) ?? bySource?.set(source, new Map()).get(source);
    let id = byFile?.get(file);
    if (id === undefined) {
      this.statements.upsertOrigin.run(site, container, service, source, file);
      id = (this.statements.selectOrigin.get(site, container, service, source, file) as { id: number }).id;
      byFile?.set(file, id);
    }
    this.lastOrigin = { site, container, service, source, file, id };
    return id;
  }

  /**
   * The shared id of a remainder (a BigInt: node:sqlite binds numbers as
   * REAL, and an ANY column keeps what it gets), or its JSON once too many
   * distinct ones were seen. Consecutive events of a file mostly have the
   * same remainder, which is then recognized without serializing it.
   */
  private restRef(value: Json): bigint | string {
    if (this.lastRest && sameJson(value, this.lastRest.value)) return this.lastRest.ref;
    const json = JSON.stringify(value);
    let ref: bigint | string | undefined = this.restIds.get(json);
    if (ref === undefined) {
      if (this.restIds.size >= this.maxSharedRests) {
        ref = json;
      } else {
        ref = BigInt(this.restIds.size + 1);
        this.restIds.set(json, ref);
        this.newRests.push([ref, json]);
      }
    }
    this.lastRest = { value, ref };
    return ref;
  }

  private count(kind: 'o' | 'l' | 't', id: number): void {
    const counts = this.counts[kind];
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }

  private transaction<T>(begin: 'BEGIN' | 'BEGIN IMMEDIATE', work: () => T): T {
    this.db.exec(begin);
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
    endGeneration(this.tenantPath, this.gen);
    try {
      this.db.close();
    } catch {
      // Already closed.
    }
  }
}

function insertSql(table: string, rows: number): string {
  const one = `(${Array.from({ length: COLUMNS }, () => '?').join(', ')})`;
  return `INSERT INTO ${table} (id, ms, ns, ts, tsf, message, origin, file, line, level, stream, mirror, rest) VALUES ${Array.from({ length: rows }, () => one).join(', ')}`;
}
