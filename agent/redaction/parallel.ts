// Spreads a stream over worker threads and this thread: a batch of whole
// lines goes to an idle worker, else is redacted here, and results are
// written back strictly in input order, with at most a few batches in flight
// (memory stays flat). So `workers: 1` on two cores keeps both busy. Small
// inputs never pay for starting workers: they start after
// `parallelAfterBytes`, and this thread works alone until they are ready.
//
// A multi-line block (a PEM key) may run across a batch boundary: a batch
// sent off before the one ahead of it was finished does not know whether
// that one ended inside a block. If it did, the batch is redone with that
// state before it is written (rare: only when a key dump straddles batches).

import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { workerUrl } from '../../core/resources.ts';
import type { CompiledRule } from './compile.ts';
import { type LineState, newLineState } from './engine.ts';
import type { EngineSetup, PortableOptions } from './setup.ts';
import {
  batches,
  countNewlines,
  type Input,
  overlongMask,
  overlongRuleOf,
  type StreamOptions,
  type StreamTotals,
  writeWithBackpressure,
} from './stream.ts';
import { addTally, count, newTally, type Tally } from './tally.ts';

export interface ParallelOptions extends StreamOptions {
  workers?: number;
  /** Input redacted on this thread before workers start. Default 4 MiB. */
  parallelAfterBytes?: number;
}

interface OpenBlock {
  rule: string;
}

export interface BatchRequest {
  id: number;
  bytes: Uint8Array;
  block: OpenBlock | undefined;
}

export interface BatchResult {
  id: number;
  out: Uint8Array | undefined;
  lines: number;
  endBlock: OpenBlock | undefined;
  tally: Tally;
}

interface Pool {
  /** True once every worker has built its engine. */
  readonly ready: boolean;
  /** Workers with nothing to do. */
  readonly idle: number;
  submit(bytes: Uint8Array, block: OpenBlock | undefined): Promise<BatchResult>;
  close(): Promise<void>;
}

function startPool(size: number, options: PortableOptions): Pool {
  const url = workerUrl('agent/redaction/worker');
  // A smaller young generation than V8 would pick keeps each worker's memory modest (and flat).
  const resourceLimits = { maxYoungGenerationSizeMb: 24 };
  const workers = Array.from({ length: size }, () => ({
    worker: new Worker(url, { workerData: options, resourceLimits }),
    busy: 0,
  }));
  const waiting = new Map<number, { resolve: (result: BatchResult) => void; reject: (error: Error) => void }>();
  let failure: Error | undefined;
  const failAll = (error: Error) => {
    failure ??= error;
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  let starting = workers.length;
  for (const entry of workers) {
    entry.worker.on('message', (result: BatchResult | { ready: true }) => {
      if ('ready' in result) {
        starting--;
        return;
      }
      entry.busy--;
      const pending = waiting.get(result.id);
      waiting.delete(result.id);
      pending?.resolve(result);
    });
    entry.worker.on('error', failAll);
    entry.worker.on('exit', (code) => {
      if (waiting.size > 0) failAll(new Error(`a redaction worker stopped (exit code ${code})`));
    });
  }
  let nextId = 0;
  return {
    get ready() {
      return starting === 0;
    },
    get idle() {
      return workers.filter((entry) => entry.busy === 0).length;
    },
    submit(bytes, block) {
      if (failure) return Promise.reject(failure);
      const entry = workers.reduce((best, candidate) => (candidate.busy < best.busy ? candidate : best));
      const id = nextId++;
      const copy = new Uint8Array(bytes);
      entry.busy++;
      const promise = new Promise<BatchResult>((resolve, reject) => waiting.set(id, { resolve, reject }));
      entry.worker.postMessage({ id, bytes: copy, block } satisfies BatchRequest, [copy.buffer]);
      return promise;
    },
    async close() {
      await Promise.all(workers.map(({ worker }) => worker.terminate()));
    },
  };
}

export async function redactStreamParallel(
  setup: EngineSetup,
  portable: PortableOptions,
  input: Input,
  output: Writable,
  tally: Tally,
  options: ParallelOptions,
): Promise<StreamTotals> {
  const { engine } = setup;
  const rules = new Map<string, CompiledRule>(engine.ruleSet.rules.map((rule) => [rule.id, rule]));
  const totals: StreamTotals = { lines: 0, bytesIn: 0, bytesOut: 0 };
  const workers = Math.max(1, options.workers ?? 1);
  const maxInFlight = workers * 2 + 1;
  const startAfter = options.parallelAfterBytes ?? 4 * 1024 * 1024;
  let pool: Pool | undefined;
  let seen = 0;
  let endBlock: OpenBlock | undefined; // the block open after the last batch written
  // Batches in input order; each was redacted assuming `startBlock` was open before it.
  const inFlight: { bytes: Buffer; startBlock: OpenBlock | undefined; result: Promise<BatchResult>; done: boolean }[] =
    [];

  /** This thread works too: batches go to an idle worker, else are done here. */
  const runHere = (bytes: Buffer, block: OpenBlock | undefined): BatchResult => {
    const state: LineState = newLineState();
    const open = block ? rules.get(block.rule) : undefined;
    if (open) state.block = { rule: open };
    const text = bytes.toString('latin1');
    const batchTally = newTally();
    const redacted = engine.redactChunk(text, true, state, batchTally, bytes);
    return {
      id: -1,
      out: redacted === undefined ? undefined : Buffer.from(redacted, 'latin1'),
      lines: countNewlines(text, 0, text.length) + (text.endsWith('\n') ? 0 : 1),
      endBlock: state.block ? { rule: state.block.rule.id } : undefined,
      tally: batchTally,
    };
  };
  const emit = async (bytes: Uint8Array) => {
    totals.bytesOut += bytes.length;
    await writeWithBackpressure(output, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  };
  const writeOldest = async () => {
    const oldest = inFlight.shift();
    if (!oldest) return;
    let result = await oldest.result;
    if (!sameBlock(oldest.startBlock, endBlock)) {
      // The batch before ended inside a block this batch did not know of: redo it.
      result = runHere(oldest.bytes, endBlock);
    }
    totals.lines += result.lines;
    addTally(tally, result.tally);
    endBlock = result.endBlock;
    await emit(result.out ?? oldest.bytes);
  };
  const drain = async () => {
    while (inFlight.length > 0) await writeOldest();
  };

  try {
    totals.bytesIn = await batches(input, options, {
      async batch(bytes) {
        seen += bytes.length;
        // Workers start once the input is large; building their engines takes
        // a moment, and this thread goes on meanwhile.
        if (!pool && seen > startAfter) pool = startPool(workers, portable);
        const exact = inFlight.length === 0 ? endBlock : undefined;
        const item = {
          bytes,
          startBlock: exact,
          result: Promise.resolve(undefined as unknown as BatchResult),
          done: false,
        };
        if (pool?.ready && pool.idle > 0) {
          item.result = pool.submit(bytes, exact);
          item.result.then(
            () => {
              item.done = true;
            },
            () => {
              item.done = true;
            },
          );
        } else {
          item.result = Promise.resolve(runHere(bytes, exact));
          item.done = true;
        }
        inFlight.push(item);
        while (inFlight.length >= maxInFlight || inFlight[0]?.done) await writeOldest();
      },
      async overlong(eol) {
        await drain();
        totals.lines++;
        // An open block stays open: the masked line may sit in the middle of a key.
        count(tally, overlongRuleOf());
        await emit(eol ? Buffer.concat([overlongMask, Buffer.from(eol, 'latin1')]) : overlongMask);
      },
    });
    await drain();
  } finally {
    await pool?.close();
  }
  return totals;
}

function sameBlock(a: OpenBlock | undefined, b: OpenBlock | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.rule === b.rule);
}
