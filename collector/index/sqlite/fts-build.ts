// Building a generation's FTS5 index on the second core. FTS5 indexing is
// most of the cost of a write and SQLite lets one writer at a time into a
// file, so a large bundle's index is built by a worker thread
// (fts-worker.ts) in a scratch file of its own (<tenant>.db.build-<gen>,
// next to the tenant file) while this thread stores the events. The index
// is built as a series of segments that never change once written, and
// this thread copies each finished segment into the generation's FTS5
// tables inside its own batch transactions, so that at commit only the
// last segment and the index's structure record are left to copy, before
// the generation becomes visible. Small bundles, written in one batch, skip
// all this and are indexed in place.
//
// The copy writes FTS5's shadow tables (%_data, %_idx) directly, which
// SQLite's defensive mode forbids, so it is switched off for the copy only.
// It relies on how FTS5 numbers its pages: the pages of segment s have the
// %_data ids from s << 37 up to (s + 1) << 37, and the ids below 1 << 37 are
// the structure and averages records. Both files are written by the same
// SQLite library with the same table definition, so the copied pages are
// exactly the index the rows indexed in place would have (the unit tests run
// FTS5's integrity check on it and compare answers).
import { existsSync, rmSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { workerUrl } from '../../../core/resources.ts';
import type { BuildReply, BuildRequest, BuildSetup } from './fts-worker.ts';
import { ftsTable } from './layout.ts';

/** 2^37 as SQL: the first %_data id of segment 1; below it, the structure and averages records. */
const SEGMENT_SHIFT = 37;

export function buildPathOf(tenantPath: string, gen: number): string {
  return `${tenantPath}.build-${gen}`;
}

/** Removes a scratch file (and what SQLite may have left beside it). */
export function removeBuildFile(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

export class FtsBuild {
  readonly path: string;
  private readonly fts: string;
  private readonly worker: Worker;
  private readonly outcome: Promise<void>;
  private failure: Error | undefined;
  private attached = false;
  /** Segments already copied into the tenant file. */
  private readonly copied = new Set<number>();

  constructor(tenantPath: string, gen: number, minChunkRows = 131_072) {
    this.fts = ftsTable(gen);
    this.path = buildPathOf(tenantPath, gen);
    removeBuildFile(this.path);
    this.worker = new Worker(workerUrl('collector/index/sqlite/fts-worker'), {
      workerData: { tenantPath, buildPath: this.path, gen, minChunkRows } satisfies BuildSetup,
    });
    this.worker.unref();
    this.outcome = new Promise<void>((resolve, reject) => {
      const failWith = (error: Error) => {
        this.failure ??= error;
        reject(this.failure);
      };
      this.worker.on('message', (reply: BuildReply) => {
        if (reply.type === 'finished') resolve();
        else failWith(new Error(`building the search index failed: ${reply.message}`));
      });
      this.worker.on('error', failWith);
      this.worker.on('exit', (code) => failWith(new Error(`the search index builder stopped (exit code ${code})`)));
    });
    // Failures surface at the next rows() or at finish(); until then nobody may be listening.
    this.outcome.catch(() => {});
  }

  /** Index the events with sequence numbers from..to (already committed to the tenant file). */
  rows(from: number, to: number): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage({ type: 'rows', from, to } satisfies BuildRequest);
  }

  /**
   * Attaches the scratch file to `db` (the writer's connection to the tenant
   * file) once the worker has created it; outside a transaction, as SQLite
   * wants.
   */
  attach(db: DatabaseSync): void {
    if (this.attached || !existsSync(this.path)) return;
    db.prepare('ATTACH ? AS build').run(this.path);
    this.attached = true;
  }

  /**
   * Copies the segments finished since the last call into the generation's
   * FTS5 tables (call inside a transaction of `db` that has already written
   * the tenant file, after attach()).
   */
  copySegments(db: DatabaseSync): void {
    if (!this.attached) return;
    if (!db.prepare(`SELECT 1 FROM build.sqlite_schema WHERE name = ?`).get(`${this.fts}_idx`)) return;
    const present = new Set(
      (db.prepare(`SELECT DISTINCT segid FROM build.${this.fts}_idx`).all() as { segid: number }[]).map(
        (row) => row.segid,
      ),
    );
    const fresh = [...present].filter((segid) => !this.copied.has(segid));
    if (fresh.length === 0) return;
    db.enableDefensive(false);
    try {
      for (const segid of fresh) {
        const range = { from: BigInt(segid) << BigInt(SEGMENT_SHIFT), to: BigInt(segid + 1) << BigInt(SEGMENT_SHIFT) };
        db.prepare(
          `INSERT INTO main.${this.fts}_data (id, block) SELECT id, block FROM build.${this.fts}_data WHERE id >= :from AND id < :to`,
        ).run(range);
        db.prepare(`INSERT INTO main.${this.fts}_idx SELECT * FROM build.${this.fts}_idx WHERE segid = ?`).run(segid);
        this.copied.add(segid);
      }
    } finally {
      db.enableDefensive(true);
    }
  }

  /**
   * Waits for the last segment, copies it and the index's structure and
   * averages records into the tenant file (one transaction), and removes
   * the scratch file.
   */
  async finish(db: DatabaseSync, heartbeat: () => void): Promise<void> {
    this.worker.postMessage({ type: 'finish' } satisfies BuildRequest);
    await this.outcome;
    await this.worker.terminate();
    try {
      this.attach(db);
      if (!this.attached) throw new Error(`the search index builder left no file at ${this.path}`);
      // Deferred, writing the tenant file first (see the writer's flush): IMMEDIATE would lock the scratch file too.
      db.exec('BEGIN');
      try {
        heartbeat();
        this.copySegments(db);
        db.enableDefensive(false);
        try {
          const below = { first: BigInt(1) << BigInt(SEGMENT_SHIFT) };
          db.prepare(`DELETE FROM main.${this.fts}_data WHERE id < :first`).run(below);
          db.prepare(
            `INSERT INTO main.${this.fts}_data (id, block) SELECT id, block FROM build.${this.fts}_data WHERE id < :first`,
          ).run(below);
        } finally {
          db.enableDefensive(true);
        }
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.detach(db);
    }
  }

  async cancel(db: DatabaseSync): Promise<void> {
    await this.worker.terminate();
    this.detach(db);
  }

  private detach(db: DatabaseSync): void {
    if (this.attached) {
      try {
        db.exec('DETACH build');
      } catch {
        // Closing the connection detaches it too.
      }
      this.attached = false;
    }
    removeBuildFile(this.path);
  }
}
