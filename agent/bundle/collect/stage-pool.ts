// Worker threads that stage whole files (stage-worker.ts): read, keep the
// window, redact, check again, write and hash, one file per worker at a time.
// A collector with several big files (syslog and its rotations) so uses
// every core instead of one. The workers build their engines from the
// portable form of this run's engines, so they redact with the same rules,
// literals and site key as this thread.
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { workerUrl } from '../../../core/resources.ts';
import type { PortableOptions, Tally } from '../../redaction/index.ts';
import type { BlockFormat } from '../seal/compress.ts';
import type { WindowFilterOptions } from './syslog-window.ts';

export interface StageWorkerData {
  /** This run's engine; undefined: the pool only checks (the rescan). */
  redact: PortableOptions | undefined;
  /** The release check's engine; undefined: no early check (a dry run). */
  check: PortableOptions | undefined;
  /** How many runtime literals the run knew when the engines were made (the rescan compares). */
  literals: number;
  /** The archive's compression: workers compress what they write in its blocks (absent: they do not). */
  pack?: BlockFormat;
}

export interface StageJob {
  id: number;
  /** The file to read. */
  source: string;
  gunzip: boolean;
  /** Where the redacted copy is written (created, never overwritten); absent: only the check reads the file. */
  target?: string;
  /** Keep only the syslog lines of this window; absent: every line. */
  window?: WindowFilterOptions;
  /** Where the compressed copy is written when the pool packs (created, never overwritten). */
  packTarget?: string;
}

export type StageReply =
  | {
      id: number;
      ok: true;
      size: number;
      sha256: string;
      /** Size and SHA-256 of the compressed copy at `packTarget`, when one was written. */
      packed?: { size: number; sha256: string };
      tally: Tally;
      /** What the release check's engine still found in the written bytes, knowing `literals` runtime literals. */
      check: { findings: number; rule?: string; literals: number } | undefined;
    }
  | { id: number; ok: false; message: string; code: string | undefined };

export type StageResult = Extract<StageReply, { ok: true }>;

export interface StagePool {
  stage(job: Omit<StageJob, 'id'>): Promise<StageResult>;
  /** Stops the workers; jobs still running reject. Safe to call twice. */
  close(): Promise<void>;
}

/** At most one worker per file and per core. */
export function stageWorkers(files: number): number {
  return Math.max(1, Math.min(files, availableParallelism()));
}

/**
 * A worker turns each megabyte batch into a string of a megabyte, which V8
 * puts straight into the old generation (large object space); with the
 * default starting limit of a small heap, that meant a full collection every
 * ~15 MB read, 7% of a dump's CPU. A starting limit of 64 MB makes them rare;
 * the strings die young, so memory does not grow with the file. V8 reads the
 * flag when an isolate is made, so it changes the workers, not this thread.
 */
let heapFlagSet = false;
function setWorkerHeapStart(): void {
  if (heapFlagSet) return;
  heapFlagSet = true;
  setFlagsFromString('--initial-old-space-size=64');
}

export function startStagePool(size: number, data: StageWorkerData): StagePool {
  setWorkerHeapStart();
  const url = workerUrl('agent/bundle/collect/stage-worker');
  // A modest young generation keeps each worker's memory flat; batches are a megabyte.
  const resourceLimits = { maxYoungGenerationSizeMb: 32 };
  const workers = Array.from({ length: size }, () => {
    const worker = new Worker(url, { workerData: data, resourceLimits });
    return { worker, busy: false };
  });
  const waiting = new Map<number, { resolve: (result: StageResult) => void; reject: (error: Error) => void }>();
  const queue: { job: StageJob; resolve: (result: StageResult) => void; reject: (error: Error) => void }[] = [];
  let failure: Error | undefined;
  let closed = false;
  let nextId = 0;

  const failAll = (error: Error) => {
    failure ??= error;
    for (const { reject } of waiting.values()) reject(failure);
    for (const { reject } of queue) reject(failure);
    waiting.clear();
    queue.length = 0;
  };
  const dispatch = () => {
    for (const entry of workers) {
      const next = entry.busy ? undefined : queue.shift();
      if (!next) continue;
      entry.busy = true;
      waiting.set(next.job.id, { resolve: next.resolve, reject: next.reject });
      entry.worker.postMessage(next.job);
    }
  };
  for (const entry of workers) {
    entry.worker.on('message', (reply: StageReply) => {
      entry.busy = false;
      const pending = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (reply.ok)
        pending?.resolve(reply.check ? { ...reply, check: { ...reply.check, literals: data.literals } } : reply);
      else pending?.reject(Object.assign(new Error(reply.message), { code: reply.code }));
      dispatch();
    });
    entry.worker.on('error', failAll);
    entry.worker.on('exit', (code) => {
      if (!closed) failAll(new Error(`a staging worker stopped (exit code ${code})`));
    });
  }
  return {
    stage(job) {
      if (failure) return Promise.reject(failure);
      if (closed) return Promise.reject(new Error('the staging workers were stopped'));
      return new Promise<StageResult>((resolve, reject) => {
        queue.push({ job: { ...job, id: nextId++ }, resolve, reject });
        dispatch();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      failAll(new Error('the staging workers were stopped'));
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
    },
  };
}
