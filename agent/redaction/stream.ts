// Streams bytes through the engine line for line: exactly one output line per
// input line, in order, CR LF kept, invalid UTF-8 and NUL bytes passed through
// byte for byte (the engine reads bytes as latin1). Input is gathered into
// batches of about a megabyte of complete lines (clean batches are written
// back as the very same bytes), output waits for 'drain', so memory stays flat
// whatever the input size. A line longer than maxLineBytes cannot be held: it
// is replaced whole by [REDACTED:line-too-long], never passed through.
import type { Writable } from 'node:stream';
import type { CompiledRule } from './compile.ts';
import { type Engine, type LineState, newLineState } from './engine.ts';
import { count, type Tally } from './tally.ts';

export const overlongRuleId = 'line-too-long';
export const overlongMask = Buffer.from(`[REDACTED:${overlongRuleId}]`, 'latin1');

export interface StreamOptions {
  /** Longest line held in memory; longer ones are masked whole. Default 64 MiB. */
  maxLineBytes?: number;
  /** Size of the batches handed to the engine. Default 1 MiB. */
  batchBytes?: number;
}

export interface StreamTotals {
  lines: number;
  bytesIn: number;
  bytesOut: number;
}

export interface Finding {
  rule: string;
  category: CompiledRule['category'];
  action: CompiledRule['action'];
  /** 1-based line number. */
  line: number;
  /** 1-based column, in bytes for streams and in UTF-16 units for text. */
  column: number;
  /** Length of the text that would be replaced. */
  length: number;
}

export type Input = AsyncIterable<Buffer | string | Uint8Array>;

export interface BatchSink {
  /** A batch of whole lines (the last batch may lack its final \n). */
  batch(bytes: Buffer): Promise<void>;
  /** A line too long to hold; `eol` is what ended it ("" at end of input). */
  overlong(eol: string): Promise<void>;
}

/** Splits the input into batches of whole lines; returns the byte count read. */
export async function batches(input: Input, options: StreamOptions, sink: BatchSink): Promise<number> {
  const maxLine = options.maxLineBytes ?? 64 * 1024 * 1024;
  const target = options.batchBytes ?? 1024 * 1024;
  let parts: Buffer[] = [];
  let length = 0;
  let lastNewline = -1; // offset, within the gathered parts, of the last \n
  let discarding = false; // inside an overlong line
  let discardedCr = false;
  let total = 0;
  const flush = async (upTo: number) => {
    const all = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length);
    await sink.batch(all.subarray(0, upTo));
    const rest = all.subarray(upTo);
    parts = rest.length > 0 ? [rest] : [];
    length = rest.length;
    lastNewline = -1;
  };
  for await (const raw of input) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    total += chunk.length;
    if (discarding) {
      const newline = chunk.indexOf(10);
      if (newline < 0) {
        if (chunk.length > 0) discardedCr = chunk[chunk.length - 1] === 13;
        continue;
      }
      const cr = newline > 0 ? chunk[newline - 1] === 13 : discardedCr;
      await sink.overlong(cr ? '\r\n' : '\n');
      discarding = false;
      chunk = chunk.subarray(newline + 1);
      if (chunk.length === 0) continue;
    }
    parts.push(chunk);
    length += chunk.length;
    const newline = chunk.lastIndexOf(10);
    if (newline >= 0) lastNewline = length - chunk.length + newline;
    if (lastNewline >= 0 && length >= target) await flush(lastNewline + 1);
    if (length - (lastNewline + 1) > maxLine) {
      // The open line is too long to hold: flush the lines before it, drop it.
      if (lastNewline >= 0) await flush(lastNewline + 1);
      const last = parts.at(-1);
      discardedCr = last !== undefined && last[last.length - 1] === 13;
      parts = [];
      length = 0;
      discarding = true;
    }
  }
  if (discarding) await sink.overlong('');
  else if (length > 0) await flush(length);
  return total;
}

export function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let at = text.indexOf('\n', from); at >= 0 && at < to; at = text.indexOf('\n', at + 1)) n++;
  return n;
}

/** Resolves when `output` can take more, rejects if it fails or closes first. */
export async function writeWithBackpressure(output: Writable, bytes: Buffer): Promise<void> {
  if (output.write(bytes)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      output.off('drain', onDrain);
      output.off('error', onError);
      output.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(Object.assign(new Error('the output was closed before all lines were written'), { code: 'EPIPE' }));
    };
    output.on('drain', onDrain);
    output.on('error', onError);
    output.on('close', onClose);
  });
}

export async function redactStream(
  engine: Engine,
  input: Input,
  output: Writable,
  tally: Tally,
  options: StreamOptions = {},
): Promise<StreamTotals> {
  const state: LineState = newLineState();
  const totals: StreamTotals = { lines: 0, bytesIn: 0, bytesOut: 0 };
  const overlongRule = overlongRuleOf();
  const emit = async (bytes: Buffer) => {
    totals.bytesOut += bytes.length;
    await writeWithBackpressure(output, bytes);
  };
  totals.bytesIn = await batches(input, options, {
    async batch(bytes) {
      const text = bytes.toString('latin1');
      totals.lines += countNewlines(text, 0, text.length) + (text.endsWith('\n') ? 0 : 1);
      const redacted = engine.redactChunk(text, true, state, tally, bytes);
      await emit(redacted === undefined ? bytes : Buffer.from(redacted, 'latin1'));
    },
    async overlong(eol) {
      totals.lines++;
      // An open block stays open: the masked line may sit in the middle of a key.
      count(tally, overlongRule);
      await emit(eol ? Buffer.concat([overlongMask, Buffer.from(eol, 'latin1')]) : overlongMask);
    },
  });
  return totals;
}

export interface ScanOptions extends StreamOptions {
  onFinding?: (finding: Finding) => void;
}

export async function scanStream(
  engine: Engine,
  input: Input,
  tally: Tally,
  options: ScanOptions = {},
): Promise<StreamTotals> {
  const state: LineState = newLineState();
  const totals: StreamTotals = { lines: 0, bytesIn: 0, bytesOut: 0 };
  const overlongRule = overlongRuleOf();
  totals.bytesIn = await batches(input, options, {
    async batch(bytes) {
      const text = bytes.toString('latin1');
      const base = totals.lines;
      let countedTo = 0;
      let lineNumber = base + 1;
      engine.scanChunk(
        text,
        true,
        state,
        (lineStart, _end, _line, spans) => {
          lineNumber += countNewlines(text, countedTo, lineStart);
          countedTo = lineStart;
          for (const span of spans) {
            count(tally, span.rule);
            options.onFinding?.(findingOf(span.rule, lineNumber, span.start, span.end));
          }
        },
        bytes,
        tally,
      );
      totals.lines += countNewlines(text, 0, text.length) + (text.endsWith('\n') ? 0 : 1);
    },
    async overlong() {
      totals.lines++;
      count(tally, overlongRule);
      options.onFinding?.(findingOf(overlongRule, totals.lines, 0, 0));
    },
  });
  return totals;
}

export function findingOf(rule: CompiledRule, line: number, start: number, end: number): Finding {
  return { rule: rule.id, category: rule.category, action: rule.action, line, column: start + 1, length: end - start };
}

export function overlongRuleOf(): CompiledRule {
  return {
    id: overlongRuleId,
    category: 'secret',
    action: 'mask',
    shape: 'token',
    regex: undefined,
    group: undefined,
    check: undefined,
    keywords: [],
    field: undefined,
    block: undefined,
    keep: [],
    priority: 1,
    order: Number.MAX_SAFE_INTEGER,
    seenLine: -1,
  };
}
