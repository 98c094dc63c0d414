// A reader's handle on one tenant's index file: the connection, its
// prepared statements, and caches of what never changes once written (field
// values, origins, a visible generation's counts and JSON remainders).
// The index runs every request inside one read transaction per file, so the
// list of visible generations and their tables come from the same snapshot.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { FilterField } from '../types.ts';
import { type GenerationInfo, visibleGenerations } from './generations.ts';
import { restsTable } from './layout.ts';

export interface Origin {
  readonly site: number;
  readonly container: number;
  readonly service: number;
  readonly source: number;
  readonly file: number;
}

/** What a generation holds, for planning: per origin, level and stream id, its number of events (id 0: none). */
export interface Generation extends GenerationInfo {
  readonly tenant: string;
  readonly origins: ReadonlyMap<number, number>;
  readonly levels: ReadonlyMap<number, number>;
  readonly streams: ReadonlyMap<number, number>;
}

const MAX_STATEMENTS = 512;
const MAX_RESTS = 20_000;

export class TenantFile {
  readonly tenant: string;
  readonly db: DatabaseSync;
  private readonly statements = new Map<string, { gen: number; statement: StatementSync }>();
  private readonly valueById = new Map<number, { field: string; value: string }>();
  private readonly idsByField = new Map<string, Map<string, number>>();
  private lastValueId = 0;
  private readonly originById = new Map<number, Origin>();
  private lastOriginId = 0;
  private readonly generations = new Map<number, Generation>();
  private readonly rests = new Map<string, string>();

  constructor(tenant: string, db: DatabaseSync) {
    this.tenant = tenant;
    this.db = db;
  }

  /** A cached prepared statement; `gen` ties it to a generation's tables (0: tenant-wide). */
  prepare(gen: number, sql: string): StatementSync {
    const cached = this.statements.get(sql);
    if (cached) {
      // Most recently used last.
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached.statement;
    }
    const statement = this.db.prepare(sql);
    this.statements.set(sql, { gen, statement });
    if (this.statements.size > MAX_STATEMENTS) {
      const oldest = this.statements.keys().next().value as string;
      this.statements.delete(oldest);
    }
    return statement;
  }

  /** The visible generations with their counts (inside read()). Forgets what belonged to generations gone since. */
  visible(): Generation[] {
    const infos = visibleGenerations(this.db);
    const live = new Set(infos.map((info) => info.gen));
    for (const gen of this.generations.keys()) if (!live.has(gen)) this.forget(gen);
    return infos.map((info) => {
      let generation = this.generations.get(info.gen);
      if (!generation) {
        generation = this.loadGeneration(info);
        this.generations.set(info.gen, generation);
      }
      return generation;
    });
  }

  /** Ids of a field's values equal to `value` (or starting with it). */
  valueIds(field: FilterField, value: string, prefix: boolean): number[] {
    this.refreshValues();
    const ids = this.idsByField.get(field);
    if (!ids) return [];
    if (!prefix) {
      const id = ids.get(value);
      return id === undefined ? [] : [id];
    }
    const out: number[] = [];
    for (const [candidate, id] of ids) if (candidate.startsWith(value)) out.push(id);
    return out;
  }

  /** The value of a field_values id ('' never happens for a stored id; undefined for 0 = absent). */
  value(id: number): string | undefined {
    if (id === 0) return undefined;
    if (!this.valueById.has(id)) this.refreshValues();
    return this.valueById.get(id)?.value;
  }

  origin(id: number): Origin {
    let origin = this.originById.get(id);
    if (!origin) {
      this.refreshOrigins();
      origin = this.originById.get(id);
    }
    if (!origin) throw new Error(`origin ${id} of tenant "${this.tenant}" is missing from its index`);
    return origin;
  }

  /** A JSON remainder stored once for many rows of a generation. */
  rest(gen: number, id: number): string {
    const key = `${gen}:${id}`;
    let json = this.rests.get(key);
    if (json === undefined) {
      const row = this.prepare(gen, `SELECT json FROM ${restsTable(gen)} WHERE id = ?`).get(id) as
        | { json: string }
        | undefined;
      if (!row) throw new Error(`remainder ${id} of generation ${gen} is missing from the index of "${this.tenant}"`);
      json = row.json;
      if (this.rests.size >= MAX_RESTS) this.rests.clear();
      this.rests.set(key, json);
    }
    return json;
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }

  private forget(gen: number): void {
    this.generations.delete(gen);
    for (const [sql, entry] of this.statements) if (entry.gen === gen) this.statements.delete(sql);
    for (const key of this.rests.keys()) if (key.startsWith(`${gen}:`)) this.rests.delete(key);
  }

  private loadGeneration(info: GenerationInfo): Generation {
    const rows = this.prepare(0, 'SELECT kind, id, count FROM generation_counts WHERE gen = ?').all(info.gen) as {
      kind: string;
      id: number;
      count: number;
    }[];
    const maps = { o: new Map<number, number>(), l: new Map<number, number>(), t: new Map<number, number>() };
    for (const row of rows) maps[row.kind as 'o' | 'l' | 't']?.set(row.id, row.count);
    return { ...info, tenant: this.tenant, origins: maps.o, levels: maps.l, streams: maps.t };
  }

  private refreshValues(): void {
    const rows = this.prepare(0, 'SELECT id, field, value FROM field_values WHERE id > ? ORDER BY id').all(
      this.lastValueId,
    ) as { id: number; field: string; value: string }[];
    for (const row of rows) {
      this.valueById.set(row.id, { field: row.field, value: row.value });
      const ids = this.idsByField.get(row.field) ?? new Map<string, number>();
      this.idsByField.set(row.field, ids);
      ids.set(row.value, row.id);
      this.lastValueId = row.id;
    }
  }

  private refreshOrigins(): void {
    const rows = this.prepare(
      0,
      'SELECT id, site, container, service, source, file FROM origins WHERE id > ? ORDER BY id',
    ).all(this.lastOriginId) as unknown as ({ id: number } & Origin)[];
    for (const { id, ...origin } of rows) {
      this.originById.set(id, origin);
      this.lastOriginId = id;
    }
  }
}
