// SqliteIndex: the embedded index backend, one SQLite file per tenant under
// <data dir>/index/<tenant>.db (layout.ts), each holding one generation of
// tables per bundle write (generations.ts). Writers get their own
// connection; reads share one connection per tenant and run each request in
// one read transaction per file.
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { parseQuery } from '../query.ts';
import { checkFilters, checkTenants } from '../requests.ts';
import {
  type BundleWriter,
  type ContextRequest,
  type ContextResult,
  type FacetRequest,
  type FacetResult,
  filterFields,
  type HistogramRequest,
  type HistogramResult,
  type Index,
  QueryError,
  type SearchRequest,
  type SearchResult,
} from '../types.ts';
import { decodeCursor, queryFingerprint } from './bounds.ts';
import { contextOf } from './context.ts';
import { facetsOf } from './facets.ts';
import { cleanUpLeftovers, dropRetired, retireBundle } from './generations.ts';
import { histogramOf } from './histogram.ts';
import { openIndexFile, tenantDatabasePath } from './layout.ts';
import { isMigrated, migrate } from './schema.ts';
import { searchFiles } from './search.ts';
import { TenantFile } from './tenant-file.ts';
import { SqliteBundleWriter, type WriterOptions } from './writer.ts';

export interface SqliteIndexOptions {
  /** Events per write transaction (tests use small batches). */
  readonly batchRows?: number;
  /** Distinct JSON remainders a writer stores once each (tests use few). */
  readonly maxSharedRests?: number;
  /** Events per FTS5 segment the builder thread starts with (tests use few, to get many segments). */
  readonly segmentRows?: number;
}

export const MAX_LIMIT = 1000;
const MAX_CONTEXT = 1000;

export class SqliteIndex implements Index {
  readonly backend = 'sqlite' as const;
  private readonly indexDir: string;
  private readonly writerOptions: WriterOptions;
  private readonly files = new Map<string, TenantFile>();
  private closed = false;

  /** `indexDir` is the data directory's index/ folder (collectorPaths(dataDir).index). */
  constructor(indexDir: string, options: SqliteIndexOptions = {}) {
    this.indexDir = indexDir;
    this.writerOptions = {
      ...(options.batchRows !== undefined && { batchRows: options.batchRows }),
      ...(options.maxSharedRests !== undefined && { maxSharedRests: options.maxSharedRests }),
      ...(options.segmentRows !== undefined && { segmentRows: options.segmentRows }),
    };
  }

  async writer(tenant: string, bundle: string): Promise<BundleWriter> {
    this.checkOpen();
    checkBundleName(bundle);
    const path = tenantDatabasePath(this.indexDir, tenant);
    const db = openIndexFile(path);
    try {
      db.exec('PRAGMA cache_size = -65536');
      migrate(db);
      cleanUpLeftovers(db, path);
      return SqliteBundleWriter.start(db, path, tenant, bundle, this.writerOptions);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async deleteBundle(tenant: string, bundle: string): Promise<void> {
    this.checkOpen();
    checkBundleName(bundle);
    const path = tenantDatabasePath(this.indexDir, tenant);
    if (!existsSync(path)) return;
    const db = openIndexFile(path);
    try {
      migrate(db);
      db.exec('BEGIN IMMEDIATE');
      try {
        retireBundle(db, bundle);
        db.exec('COMMIT');
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
      dropRetired(db, bundle);
    } finally {
      db.close();
    }
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    this.checkOpen();
    const tenants = checkTenants(request.tenants);
    const limit = request.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new QueryError(`limit must be a whole number from 1 to ${MAX_LIMIT}, not ${String(limit)}`, 0);
    }
    const order = request.order ?? 'asc';
    if (order !== 'asc' && order !== 'desc') throw new QueryError(`order must be "asc" or "desc"`, 0);
    const query = parseQuery(request.q);
    const filters = checkFilters(request.filters);
    const fingerprint = queryFingerprint([request.q, filters, tenants, order]);
    const cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor, fingerprint);
    return this.reading(tenants, (files) => searchFiles(files, { query, filters, limit, order, cursor, fingerprint }));
  }

  async histogram(request: HistogramRequest): Promise<HistogramResult> {
    this.checkOpen();
    const tenants = checkTenants(request.tenants);
    const buckets = request.buckets ?? 60;
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1000) {
      throw new QueryError(`buckets must be a whole number from 1 to 1000, not ${String(buckets)}`, 0);
    }
    const query = parseQuery(request.q);
    const filters = checkFilters(request.filters);
    return this.reading(tenants, (files) => histogramOf(files, query, filters, buckets));
  }

  async facets(request: FacetRequest): Promise<FacetResult> {
    this.checkOpen();
    const tenants = checkTenants(request.tenants);
    const size = request.size ?? 10;
    if (!Number.isInteger(size) || size < 1 || size > 1000) {
      throw new QueryError(`size must be a whole number from 1 to 1000, not ${String(size)}`, 0);
    }
    if (!Array.isArray(request.fields)) throw new QueryError('fields must be a list of field names', 0);
    for (const field of request.fields) {
      if (!(filterFields as readonly string[]).includes(field)) {
        throw new QueryError(`"${String(field)}" is not a field; the fields are ${filterFields.join(', ')}`, 0);
      }
    }
    const query = parseQuery(request.q);
    const filters = checkFilters(request.filters);
    return this.reading(tenants, (files) => facetsOf(files, query, filters, [...new Set(request.fields)], size));
  }

  async context(request: ContextRequest): Promise<ContextResult> {
    this.checkOpen();
    const [tenant] = checkTenants([request.tenant]);
    for (const name of ['before', 'after'] as const) {
      const value = request[name];
      if (!Number.isInteger(value) || value < 0 || value > MAX_CONTEXT) {
        throw new QueryError(`${name} must be a whole number from 0 to ${MAX_CONTEXT}, not ${String(value)}`, 0);
      }
    }
    return this.reading([tenant as string], ([file]) =>
      file ? contextOf(file, request.id, request.before, request.after) : { events: [] },
    );
  }

  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    try {
      const db = new DatabaseSync(':memory:');
      try {
        db.exec(`CREATE VIRTUAL TABLE probe USING fts5(x)`);
        return true;
      } finally {
        db.close();
      }
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const file of this.files.values()) file.close();
    this.files.clear();
  }

  /** Runs `work` over the files of the tenants that have one, each inside one read transaction. */
  private reading<T>(tenants: readonly string[], work: (files: TenantFile[]) => T): T {
    const files: TenantFile[] = [];
    for (const tenant of tenants) {
      const file = this.file(tenant);
      if (file) files.push(file);
    }
    const begun: TenantFile[] = [];
    try {
      for (const file of files) {
        file.db.exec('BEGIN');
        begun.push(file);
      }
      const result = work(files);
      for (const file of begun.splice(0)) file.db.exec('COMMIT');
      return result;
    } finally {
      for (const file of begun) if (file.db.isTransaction) file.db.exec('ROLLBACK');
    }
  }

  /** The reader of a tenant's file; undefined (and nothing created) when the tenant has none yet. */
  private file(tenant: string): TenantFile | undefined {
    const cached = this.files.get(tenant);
    if (cached) return cached;
    const path = tenantDatabasePath(this.indexDir, tenant);
    if (!existsSync(path)) return undefined;
    const db = openIndexFile(path);
    try {
      if (!isMigrated(db)) {
        db.close();
        return undefined;
      }
      // Clean up without waiting: if another writer holds the lock, the next writer or open cleans up.
      db.exec('PRAGMA busy_timeout = 0');
      try {
        cleanUpLeftovers(db, path);
      } catch {
        // Busy or read-only.
      } finally {
        db.exec('PRAGMA busy_timeout = 10000');
      }
    } catch (error) {
      db.close();
      throw error;
    }
    const file = new TenantFile(tenant, db);
    this.files.set(tenant, file);
    return file;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the SQLite index is closed');
  }
}

function checkBundleName(bundle: string): void {
  if (typeof bundle !== 'string' || bundle.length === 0 || bundle.length > 256) {
    throw new TypeError('a bundle id must be a non-empty string of at most 256 characters');
  }
}
