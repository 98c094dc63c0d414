// `shiplog ship`: reads whole files (plain or .gz) through the same reader
// as the file source and the line stage every source shares (parse,
// multiline merge, encode), and writes the events
// to a writer that acknowledges delivery (Elasticsearch or the spool). For
// backfilling old logs, and for the benchmark. Ids come from the file's
// identity and each line's offset, so shipping a file twice stores it once.
// Progress is kept per file (events read, events acknowledged), so that a
// run cut short by its signal (`--timeout`) can say what is shipped and
// what is left.
import { open, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parseBytes } from '../../core/units.ts';
import type { EventWriter } from '../pipeline/types.ts';
import {
  type ChunkReader,
  type FileSourceConfig,
  type FileStream,
  fileLineStage,
  fingerprintOf,
  GzipReader,
  identityKey,
  type LineRecord,
  LineSplitter,
  PlainReader,
  readGzipHead,
  readHead,
} from '../sources/file/index.ts';

export interface ShipOptions {
  writer: EventWriter;
  config: FileSourceConfig;
  hostName?: string;
  batchEvents?: number;
  batchBytes?: number;
  /** Batches written but not yet acknowledged, at most. */
  inFlight?: number;
  /** Aborts the writes in flight; shipFiles then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Filled as the files are read and acknowledged; read it after a failure to say what is left. */
  progress?: ShipProgress;
}

export interface FileProgress {
  path: string;
  /** Read to its end. */
  read: boolean;
  /** Events read from it, and how many of them were acknowledged. */
  events: number;
  acknowledged: number;
}

export interface ShipProgress {
  files: FileProgress[];
  /** Events acknowledged across all files. */
  acknowledged: number;
  /** Called after each acknowledged batch. */
  onAcknowledged?: () => void;
}

export function newShipProgress(paths: readonly string[], onAcknowledged?: () => void): ShipProgress {
  return {
    files: paths.map((path) => ({ path, read: false, events: 0, acknowledged: 0 })),
    acknowledged: 0,
    ...(onAcknowledged ? { onAcknowledged } : {}),
  };
}

/** Files whose every event was acknowledged. */
export function shippedFiles(progress: ShipProgress): FileProgress[] {
  return progress.files.filter((file) => file.read && file.acknowledged === file.events);
}

export interface ShipSummary {
  files: number;
  lines: number;
  events: number;
  bytes: number;
}

const GZIP_MAGIC = 0x1f8b;

export async function shipFiles(paths: readonly string[], options: ShipOptions): Promise<ShipSummary> {
  const summary: ShipSummary = { files: 0, lines: 0, events: 0, bytes: 0 };
  const progress = options.progress ?? newShipProgress(paths);
  const batcher = new Batcher(options, progress);
  for (const [index, path] of paths.entries()) {
    batcher.file = progress.files[index];
    try {
      await shipFile(path, options, batcher, summary);
    } catch (error) {
      // The files before this one are shipped before the error is told (or the signal ends the wait).
      await batcher.drain().catch(() => undefined);
      throw error;
    }
    if (batcher.file) batcher.file.read = true;
    summary.files++;
  }
  await batcher.drain();
  summary.events = batcher.written;
  return summary;
}

async function shipFile(path: string, options: ShipOptions, batcher: Batcher, summary: ShipSummary): Promise<void> {
  options.signal?.throwIfAborted();
  const hostName = options.hostName ?? hostname();
  const handle = await open(path, 'r');
  const info = await stat(path);
  let reader: ChunkReader | undefined;
  try {
    const head = await readHead(handle);
    const gzip = head.length >= 2 && head.readUInt16BE(0) === GZIP_MAGIC;
    const fingerprint = fingerprintOf(gzip ? await readGzipHead(path) : head);
    const key = fingerprint ? identityKey(info.dev, info.ino, fingerprint) : `${info.dev}:${info.ino}:empty`;
    reader = gzip ? new GzipReader(path) : new PlainReader(handle, 256 * 1024);
    const splitter = new LineSplitter(parseBytes(options.config.max_line_bytes));
    const file: FileStream = { entry: { key }, path };
    const stage = fileLineStage<FileStream>(hostName, options.config);
    const records: LineRecord[] = [];
    const events: string[] = [];
    // Multiline merge runs on the file's own clock, read once per chunk: the
    // time of the last line that carried one. A held stack trace is closed
    // once a whole chunk went by without its stream and the log moved
    // flush_after past it, much as the agent would have closed it when tailing
    // the file live; the reading speed of a backfill plays no part.
    let logClock = 0;
    let previousClock = 0;
    const handOut = async (now: number) => {
      let stamp: string | undefined;
      for (const record of records) {
        const meta = stage.parse(file, record, now);
        if (meta.parsed.parse_failure === undefined && meta.parsed.time_from_receipt === undefined) {
          stamp = meta.parsed['@timestamp'];
          // The clock starts at the file's first time, not at 0.
          if (logClock === 0) logClock = previousClock = Date.parse(stamp) || 0;
        }
        stage.push(meta, logClock, events);
      }
      if (stage.merging) {
        stage.flushDue(previousClock, events);
        previousClock = logClock;
        const time = stamp === undefined ? Number.NaN : Date.parse(stamp);
        if (time > logClock) logClock = time;
      }
      summary.lines += records.length;
      records.length = 0;
      await batcher.add(events);
      events.length = 0;
    };
    for (let position = 0; ; ) {
      const chunk = await reader.read(position);
      if (!chunk) break;
      position += chunk.length;
      summary.bytes += chunk.length;
      splitter.push(chunk, records);
      await handOut(Date.now());
    }
    splitter.finish(records);
    await handOut(Date.now());
    stage.flushAll(events);
    await batcher.add(events);
  } finally {
    await reader?.close();
    await handle.close().catch(() => undefined);
  }
}

/** Collects events into batches and keeps a few writes in flight. */
class Batcher {
  readonly #writer: EventWriter;
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  readonly #maxInFlight: number;
  readonly #signal: AbortSignal | undefined;
  readonly #progress: ShipProgress;
  readonly #inFlight = new Set<Promise<void>>();
  #batch: string[] = [];
  /** How many events of the batch each file gave. */
  #batchFiles = new Map<FileProgress, number>();
  #bytes = 0;
  #failure: unknown;
  written = 0;
  /** The file whose events are being added. */
  file: FileProgress | undefined;

  constructor(options: ShipOptions, progress: ShipProgress) {
    this.#writer = options.writer;
    this.#maxEvents = options.batchEvents ?? 500;
    this.#maxBytes = options.batchBytes ?? 4 * 1024 * 1024;
    this.#maxInFlight = options.inFlight ?? 2;
    this.#signal = options.signal;
    this.#progress = progress;
  }

  async add(records: readonly string[]): Promise<void> {
    const file = this.file;
    for (const record of records) {
      this.#batch.push(record);
      this.#bytes += record.length;
      if (file) {
        file.events++;
        this.#batchFiles.set(file, (this.#batchFiles.get(file) ?? 0) + 1);
      }
      if (this.#batch.length >= this.#maxEvents || this.#bytes >= this.#maxBytes) await this.#flush();
    }
  }

  async drain(): Promise<void> {
    await this.#flush();
    await Promise.all(this.#inFlight);
    if (this.#failure) throw this.#failure;
  }

  async #flush(): Promise<void> {
    if (this.#failure) throw this.#failure;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    const count = batch.length;
    const files = this.#batchFiles;
    this.#batch = [];
    this.#batchFiles = new Map();
    this.#bytes = 0;
    // The callbacks hold the count, not the batch: the records can be collected
    // as soon as the writer has copied them, not when the write is durable.
    const write = this.#writer.writeRecords(batch, this.#signal).then(
      () => {
        this.written += count;
        this.#progress.acknowledged += count;
        for (const [file, events] of files) file.acknowledged += events;
        this.#progress.onAcknowledged?.();
      },
      (error: unknown) => {
        this.#failure ??= error;
      },
    );
    this.#inFlight.add(write);
    void write.finally(() => this.#inFlight.delete(write));
    if (this.#inFlight.size >= this.#maxInFlight) await Promise.race(this.#inFlight);
  }
}
