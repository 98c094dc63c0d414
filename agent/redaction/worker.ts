// A worker thread of redactStreamParallel: compiles the same rules as the
// main thread (from the packs it loaded and validated: no file, YAML or
// schema work here) and redacts the batches it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import type { CompiledRule } from './compile.ts';
import { type LineState, newLineState } from './engine.ts';
import type { BatchRequest, BatchResult } from './parallel.ts';
import { engineFromPortable, type PortableOptions } from './portable.ts';
import { countNewlines } from './stream.ts';
import { newTally } from './tally.ts';

const engine = engineFromPortable(workerData as PortableOptions);
const rules = new Map<string, CompiledRule>(engine.ruleSet.rules.map((rule) => [rule.id, rule]));

parentPort?.postMessage({ ready: true });

parentPort?.on('message', (request: BatchRequest) => {
  const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
  const text = bytes.toString('latin1');
  const state: LineState = newLineState();
  const open = request.block ? rules.get(request.block.rule) : undefined;
  if (open) state.block = { rule: open };
  const tally = newTally();
  const redacted = engine.redactChunk(text, true, state, tally, bytes);
  let out: Uint8Array | undefined;
  const transfer: ArrayBuffer[] = [];
  if (redacted !== undefined) {
    const buffer = Buffer.from(redacted, 'latin1');
    // Transfer only a buffer that owns its memory (small ones share Node's pool).
    out = buffer.byteLength === buffer.buffer.byteLength ? buffer : new Uint8Array(buffer);
    transfer.push(out.buffer as ArrayBuffer);
  }
  const result: BatchResult = {
    id: request.id,
    out,
    lines: countNewlines(text, 0, text.length) + (text.endsWith('\n') || text.length === 0 ? 0 : 1),
    endBlock: state.block ? { rule: state.block.rule.id } : undefined,
    tally,
  };
  parentPort?.postMessage(result, transfer);
});
