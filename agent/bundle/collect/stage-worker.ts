// A worker thread of the stage pool (stage-pool.ts): reads one file at a
// time, keeps the lines in the window, redacts them with the run's engine,
// looks at the result once more with the release check's engine (built-in
// packs only), and writes it to its staging path, hashing what it writes.
// Batches of about a megabyte of whole lines go through each step in turn,
// so memory stays flat whatever the file's size. When the run knows how the
// archive will be compressed, the worker also compresses what it writes, in
// the archive's blocks, into a second file (`packTarget`) on the thread pool,
// so that compression runs beside staging instead of after it. A job without
// a target only runs the release check over a file staged elsewhere (the rescan).
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, unlinkSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import { type LineState, newLineState } from '../../redaction/engine.ts';
import { engineFromPortable } from '../../redaction/portable.ts';
import { batches, overlongMask, overlongRuleOf } from '../../redaction/stream.ts';
import { count, newTally } from '../../redaction/tally.ts';
import { BlockQueue, blockCompressor } from '../seal/compress.ts';
import type { StageJob, StageReply, StageWorkerData } from './stage-pool.ts';
import { createWindowFilter, type WindowFilter } from './syslog-window.ts';

const data = workerData as StageWorkerData;
const engine = data.redact ? engineFromPortable(data.redact) : undefined;
const checker = data.check ? engineFromPortable(data.check) : undefined;
const compress = data.pack ? blockCompressor(data.pack) : undefined;

parentPort?.on('message', (job: StageJob) => {
  (job.target === undefined ? scanOnly(job) : stage(job, job.target)).then(
    (reply) => parentPort?.postMessage(reply),
    (error: NodeJS.ErrnoException) =>
      parentPort?.postMessage({ id: job.id, ok: false, message: error.message, code: error.code } satisfies StageReply),
  );
});

/** The rescan of a file staged elsewhere: the release check's engine reads it, nothing is written. */
async function scanOnly(job: StageJob): Promise<StageReply> {
  if (!checker) throw new Error('a staging worker was asked to check a file without the check engine');
  const input = await openInput(job.source, job.gunzip);
  const overlong = overlongRuleOf();
  const state: LineState = newLineState();
  let size = 0;
  let findings = 0;
  let firstRule: string | undefined;
  const found = (rule: string) => {
    findings++;
    firstRule ??= rule;
  };
  await batches(
    input,
    {},
    {
      async batch(bytes) {
        size += bytes.length;
        checker.scanChunk(
          bytes.toString('latin1'),
          true,
          state,
          (_start, _end, _line, spans) => {
            for (const span of spans) found(span.rule.id);
          },
          bytes,
        );
      },
      async overlong() {
        // A line too long to hold cannot be looked at: it counts as a finding, as in the rescan on this thread.
        // An open key block stays open: the line may sit in the middle of a key.
        found(overlong.id);
      },
    },
  );
  return {
    id: job.id,
    ok: true,
    size,
    sha256: '',
    tally: newTally(),
    check: { findings, ...(firstRule !== undefined && { rule: firstRule }), literals: 0 },
  };
}

async function stage(job: StageJob, target: string): Promise<StageReply> {
  if (!engine) throw new Error('a staging worker was asked to redact without the run engine');
  // Opened before the staged file is created, so that an unreadable file leaves nothing behind.
  const input = await openInput(job.source, job.gunzip);
  const fd = openSync(target, 'wx', 0o600);
  let packed: Packed | undefined;
  try {
    packed =
      data.pack && compress && job.packTarget ? openPacked(job.packTarget, compress, data.pack.blockBytes) : undefined;
    const hash = createHash('sha256');
    const tally = newTally();
    const state: LineState = newLineState();
    const checkState: LineState = newLineState();
    const filter = job.window ? createWindowFilter(job.window) : undefined;
    let keep = filter === undefined;
    let size = 0;
    let last = 10;
    let findings = 0;
    let firstRule: string | undefined;
    const write = async (bytes: Buffer) => {
      if (bytes.length === 0) return;
      writeAll(fd, bytes);
      hash.update(bytes);
      size += bytes.length;
      last = bytes[bytes.length - 1] as number;
      await packed?.queue.write(bytes);
    };
    await batches(
      input,
      {},
      {
        async batch(bytes) {
          const text = bytes.toString('latin1');
          const kept = filter ? inWindow(filter, text, bytes) : { text, bytes, keep: true };
          keep = kept.keep;
          if (kept.bytes.length === 0) return;
          const redacted = engine.redactChunk(kept.text, true, state, tally, kept.bytes);
          const out = redacted === undefined ? kept : { text: redacted, bytes: Buffer.from(redacted, 'latin1') };
          checker?.scanChunk(
            out.text,
            true,
            checkState,
            (_start, _end, _line, spans) => {
              findings += spans.length;
              firstRule ??= spans[0]?.rule.id;
            },
            out.bytes,
          );
          await write(out.bytes);
        },
        async overlong(eol) {
          // Too long to hold, so its time is unknown: it goes with the line before it.
          // An open key block stays open in both engines: the line may sit in the middle of a key.
          if (!keep) return;
          count(tally, overlongRuleOf());
          await write(eol ? Buffer.concat([overlongMask, Buffer.from(eol, 'latin1')]) : overlongMask);
        },
      },
    );
    // Every line ends in a newline, the last one too.
    if (size > 0 && last !== 10) await write(Buffer.from('\n'));
    await packed?.queue.flush();
    closeSync(fd);
    if (packed) closeSync(packed.fd);
    return {
      id: job.id,
      ok: true,
      size,
      sha256: hash.digest('hex'),
      ...(packed && { packed: { size: packed.size(), sha256: packed.hash.digest('hex') } }),
      tally,
      // The pool adds how many literals the check knew.
      check: checker ? { findings, ...(firstRule !== undefined && { rule: firstRule }), literals: 0 } : undefined,
    };
  } catch (error) {
    input.destroy();
    closeQuietly(fd);
    removeFile(target);
    if (packed) {
      packed.queue.clear();
      closeQuietly(packed.fd);
      removeFile(packed.path);
    }
    throw error;
  }
}

interface Packed {
  readonly path: string;
  readonly fd: number;
  readonly queue: BlockQueue;
  readonly hash: ReturnType<typeof createHash>;
  size(): number;
}

/**
 * The compressed copy: blocks compressed on the thread pool, one in flight
 * while the next is filled (the pool also serves this worker's reads, and
 * every core already runs a worker), written in order and hashed.
 */
function openPacked(path: string, compress: (block: Buffer) => Promise<Buffer>, blockBytes: number): Packed {
  const fd = openSync(path, 'wx', 0o600);
  const hash = createHash('sha256');
  let size = 0;
  const queue = new BlockQueue(compress, blockBytes, 1, (compressed) => {
    writeAll(fd, compressed);
    hash.update(compressed);
    size += compressed.length;
  });
  return { path, fd, queue, hash, size: () => size };
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** The lines of a batch that are in the window (the very same bytes when all are), and the state after them. */
function inWindow(filter: WindowFilter, text: string, bytes: Buffer): { text: string; bytes: Buffer; keep: boolean } {
  const parts: Buffer[] = [];
  let from = -1; // start of the run of kept lines
  let keep = false;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    keep = filter.keeps(text, start, end);
    if (keep && from < 0) from = start;
    if (!keep && from >= 0) {
      parts.push(bytes.subarray(from, start));
      from = -1;
    }
    start = end + 1;
  }
  if (from === 0) return { text, bytes, keep };
  if (from >= 0) parts.push(bytes.subarray(from));
  const kept = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  return { text: kept.toString('latin1'), bytes: kept, keep };
}

/** The file's bytes, gunzipped when asked; rejects when it cannot be opened. */
async function openInput(path: string, gunzip: boolean): Promise<Readable> {
  const raw = createReadStream(path, { highWaterMark: 1024 * 1024 });
  await new Promise<void>((resolve, reject) => {
    raw.once('open', () => resolve());
    raw.once('error', reject);
  });
  if (!gunzip) return raw;
  const unzip = createGunzip({ chunkSize: 256 * 1024 });
  raw.on('error', (error) => unzip.destroy(error));
  return raw.pipe(unzip);
}
