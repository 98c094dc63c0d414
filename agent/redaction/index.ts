// The redaction library: what `shiplog redact` and the bundle builder use.
//
//   const redactor = createRedactor({ settings: config.redaction, literals: agentConfigSecrets(config) });
//   await redactor.redactFile('in.log', 'out.log');      // counts per rule and category
//   redactor.redactJson(document);                         // by field name and by value
//   const scan = await redactor.scanFile('out.log');      // findings; fail closed if any
//
// Rule packs are loaded, validated and compiled once here; a pack or rule
// that is wrong stops creation with a CodedError naming the file and rule.
import { createReadStream, createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CodedError } from '../../core/coded-error.ts';
import type { RedactionCategory } from '../../schemas/redaction-rules.ts';
import { agentErrors } from '../errors.ts';
import type { CategoryActions } from './compile.ts';
import { newLineState } from './engine.ts';
import { redactJsonValue } from './json.ts';
import { literalForms } from './literals.ts';
import { type ParallelOptions, redactStreamParallel } from './parallel.ts';
import { type PackSummary, ruleSetHash, summarizePack } from './rules.ts';
import { type PortableOptions, type RedactionSettings, type RedactorOptions, setupEngine } from './setup.ts';
import { type Finding, findingOf, redactStream, type StreamOptions, scanStream } from './stream.ts';
import { addTally, count, newTally, type Tally } from './tally.ts';

export type { Finding, PortableOptions, RedactionSettings, RedactorOptions, StreamOptions, Tally };

/**
 * `workers`: worker threads that share the batches with this thread (0, the
 * default: this thread alone). Results are written in input order; workers
 * start only once the input passes `parallelAfterBytes` (4 MiB).
 */
export type RedactStreamOptions = ParallelOptions;

export interface RuleSetInfo {
  /** Hash over every pack's name, version and content hash. */
  readonly hash: string;
  readonly packs: readonly PackSummary[];
}

/**
 * Counts in the shape reports and the bundle manifest use. Besides the rules,
 * `by_rule` names each block rule whose blocks were cut as
 * `RULE:unterminated` (e.g. `private-key:unterminated`): how many started
 * and found no end line before the input ended or the next one started, so
 * that everything after their start was masked. It counts no replaced value,
 * so `total` and `by_category` leave it out.
 */
export interface RedactionCounts {
  total: number;
  by_category: Record<RedactionCategory, number>;
  by_rule: Record<string, number>;
}

/** The suffix of a `by_rule` key that counts blocks cut (see RedactionCounts). */
export const unterminatedSuffix = ':unterminated';

export interface StreamReport {
  lines: number;
  bytes_in: number;
  bytes_out: number;
  counts: RedactionCounts;
}

export interface ScanReport {
  lines: number;
  bytes: number;
  counts: RedactionCounts;
  /** The first maxFindings findings, in input order. */
  findings: Finding[];
  /** True when more findings existed than were kept. */
  truncated: boolean;
}

export interface ScanCallOptions extends StreamOptions {
  /** Called for every finding, also past maxFindings. */
  onFinding?: (finding: Finding) => void;
  /** How many findings the report keeps (default 10,000). */
  maxFindings?: number;
}

export interface LineSession {
  /** Redacts one line (without its line ending); keeps multi-line state (PEM blocks). */
  line(text: string): string;
  /**
   * Redacts lines gathered into one text, each ending in \n and holding no
   * other \n: the same result as line() on each, at a fraction of the cost
   * (the prefilters and the keyword scan run once over the whole text).
   */
  lines(text: string): string;
  readonly counts: RedactionCounts;
}

export interface Redactor {
  readonly ruleSet: RuleSetInfo;
  /** Id of the site key pseudonyms are made with; undefined when no rule pseudonymizes. */
  readonly keyId: string | undefined;
  readonly actions: CategoryActions;
  /** Adds runtime secret values; returns how many were long enough to search for. */
  addLiterals(values: Iterable<string>): number;
  /**
   * Adds the values of environment variables whose names look secret (by the
   * same field-name rules as JSON: DB_PASSWORD, API_TOKEN, ...), from a
   * container's `NAME=value` list or an object; returns how many were added.
   */
  addEnvironment(variables: readonly string[] | Readonly<Record<string, string | undefined>>): number;
  redactText(text: string): { text: string; counts: RedactionCounts };
  redactJson<T>(document: T): { value: T; counts: RedactionCounts };
  lineSession(): LineSession;
  redactLines(lines: AsyncIterable<string> | Iterable<string>): AsyncGenerator<string, RedactionCounts>;
  redactStream(
    input: AsyncIterable<Buffer | string | Uint8Array>,
    output: Writable,
    options?: RedactStreamOptions,
  ): Promise<StreamReport>;
  redactFile(inputPath: string, outputPath: string, options?: RedactStreamOptions): Promise<StreamReport>;
  scanText(text: string, options?: ScanCallOptions): ScanReport;
  scanStream(input: AsyncIterable<Buffer | string | Uint8Array>, options?: ScanCallOptions): Promise<ScanReport>;
  scanFile(path: string, options?: ScanCallOptions): Promise<ScanReport>;
  /** Everything redacted by this redactor so far. */
  totals(): RedactionCounts;
  /** The runtime literal values added so far (to build a second engine with the same ones). */
  literalValues(): string[];
  /** What a worker thread needs to build this very engine (agent/redaction/worker.ts does so). */
  portable(): PortableOptions;
  /** Adds what a worker thread redacted with `portable()` to totals(); returns it as counts. */
  record(tally: Tally): RedactionCounts;
}

export function createRedactor(options: RedactorOptions = {}): Redactor {
  const setup = setupEngine(options);
  const { engine, packs, actions, needsKey } = setup;
  const literals = new Set<string>();
  const totals = newTally();
  const finish = (tally: Tally): RedactionCounts => {
    addTally(totals, tally);
    return countsOf(tally);
  };

  const addLiterals = (values: Iterable<string>): number => {
    let added = 0;
    for (const value of values) {
      for (const part of [value, ...value.split(/\r?\n/)]) {
        if (literalForms(part).length === 0 || literals.has(part)) continue;
        literals.add(part);
        added++;
      }
    }
    if (added > 0) engine.setLiterals(literals);
    return added;
  };
  const addEnvironment = (variables: readonly string[] | Readonly<Record<string, string | undefined>>): number => {
    const pairs: [string, string | undefined][] = Array.isArray(variables)
      ? variables.map((entry) => {
          const at = entry.indexOf('=');
          return at < 0 ? [entry, undefined] : [entry.slice(0, at), entry.slice(at + 1)];
        })
      : Object.entries(variables);
    const values: string[] = [];
    for (const [name, value] of pairs) {
      const rule = value ? engine.fieldRule(name) : undefined;
      if (!value || !rule || rule.category !== 'secret' || engine.isKept(value, rule)) continue;
      if (rule.check === undefined || rule.check(value)) values.push(value);
    }
    return addLiterals(values);
  };
  // The site key itself is a secret this process knows: should it ever reach a log, it is masked.
  addLiterals([...(options.literals ?? []), ...(needsKey ? [setup.keyOf().key.toString('hex')] : [])]);

  const redactTextWith = (text: string, state = newLineState(), tally = newTally()) =>
    engine.redactChunk(text, false, state, tally) ?? text;

  const scanTextImpl = (text: string, scanOptions: ScanCallOptions = {}): ScanReport => {
    const tally = newTally();
    const max = scanOptions.maxFindings ?? 10_000;
    const findings: Finding[] = [];
    let truncated = false;
    let line = 1;
    let countedTo = 0;
    engine.scanChunk(text, false, newLineState(), (lineStart, _end, _line, spans) => {
      for (let at = text.indexOf('\n', countedTo); at >= 0 && at < lineStart; at = text.indexOf('\n', at + 1)) line++;
      countedTo = lineStart;
      for (const span of spans) {
        const finding = findingOf(span.rule, line, span.start, span.end);
        count(tally, span.rule);
        scanOptions.onFinding?.(finding);
        if (findings.length < max) findings.push(finding);
        else truncated = true;
      }
    });
    const lines = text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    return { lines, bytes: Buffer.byteLength(text), counts: countsOf(tally), findings, truncated };
  };

  const scanStreamImpl = async (
    input: AsyncIterable<Buffer | string | Uint8Array>,
    scanOptions: ScanCallOptions = {},
  ): Promise<ScanReport> => {
    const tally = newTally();
    const max = scanOptions.maxFindings ?? 10_000;
    const findings: Finding[] = [];
    let truncated = false;
    const result = await scanStream(engine, input, tally, {
      ...scanOptions,
      onFinding(finding) {
        scanOptions.onFinding?.(finding);
        if (findings.length < max) findings.push(finding);
        else truncated = true;
      },
    });
    return { lines: result.lines, bytes: result.bytesIn, counts: countsOf(tally), findings, truncated };
  };

  const redactStreamImpl = async (
    input: AsyncIterable<Buffer | string | Uint8Array>,
    output: Writable,
    streamOptions: RedactStreamOptions = {},
  ): Promise<StreamReport> => {
    const tally = newTally();
    const result =
      (streamOptions.workers ?? 0) > 0
        ? await redactStreamParallel(setup, setup.portable(literals), input, output, tally, streamOptions)
        : await redactStream(engine, input, output, tally, streamOptions);
    return { lines: result.lines, bytes_in: result.bytesIn, bytes_out: result.bytesOut, counts: finish(tally) };
  };

  return {
    ruleSet: { hash: ruleSetHash(packs), packs: packs.map(summarizePack) },
    get keyId() {
      return needsKey ? setup.keyOf().id : undefined;
    },
    actions,
    addLiterals,
    addEnvironment,
    redactText(text) {
      const tally = newTally();
      const redacted = redactTextWith(text, newLineState(), tally);
      return { text: redacted, counts: finish(tally) };
    },
    redactJson(document) {
      const tally = newTally();
      const value = redactJsonValue(document, engine, (text) => redactTextWith(text, newLineState(), tally), tally);
      return { value, counts: finish(tally) };
    },
    lineSession() {
      const state = newLineState();
      const tally = newTally();
      return {
        line(text) {
          const lineTally = newTally();
          const out = redactTextWith(text.replace(/\r?\n/g, ' '), state, lineTally);
          addTally(tally, lineTally);
          addTally(totals, lineTally);
          return out;
        },
        lines(text) {
          const chunkTally = newTally();
          const out = redactTextWith(text, state, chunkTally);
          addTally(tally, chunkTally);
          addTally(totals, chunkTally);
          return out;
        },
        get counts() {
          return countsOf(tally);
        },
      };
    },
    async *redactLines(lines) {
      const state = newLineState();
      const tally = newTally();
      for await (const line of lines) yield redactTextWith(line.replace(/\r?\n/g, ' '), state, tally);
      return finish(tally);
    },
    redactStream: redactStreamImpl,
    async redactFile(inputPath, outputPath, streamOptions) {
      const input = openInput(inputPath);
      const output = createWriteStream(outputPath);
      const failed = new Promise<never>((_, reject) => {
        output.on('error', (error) => reject(ioError('write', outputPath, error)));
      });
      failed.catch(() => undefined);
      const report = await Promise.race([redactStreamImpl(input, output, streamOptions), failed]);
      output.end();
      await Promise.race([finished(output), failed]);
      return report;
    },
    scanText: scanTextImpl,
    scanStream: scanStreamImpl,
    scanFile(path, scanOptions) {
      return scanStreamImpl(openInput(path), scanOptions);
    },
    literalValues() {
      return [...literals];
    },
    portable() {
      return setup.portable(literals);
    },
    record: finish,
    totals() {
      return countsOf(totals);
    },
  };
}

/** The file's bytes; a read error surfaces as a CodedError naming the file. */
async function* openInput(path: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) yield chunk as Buffer;
  } catch (error) {
    throw ioError('read', path, error);
  }
}

function ioError(operation: string, path: string, error: unknown): CodedError {
  const detail = (error as NodeJS.ErrnoException).code ?? String(error);
  return new CodedError(agentErrors.REDACTION_IO, { operation, path, detail }, { cause: error });
}

export function countsOf(tally: Tally): RedactionCounts {
  const entries = Object.entries(tally.byRule);
  for (const [rule, open] of Object.entries(tally.unclosed ?? {})) {
    if (open > 0) entries.push([`${rule}${unterminatedSuffix}`, open]);
  }
  const byRule = Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
  return { total: tally.total, by_category: { ...tally.byCategory }, by_rule: byRule };
}
