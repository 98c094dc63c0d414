// Runs the collectors, each with its own timeout, into one staging directory;
// then applies the size budget and writes SUMMARY.txt. Nothing here fails the
// bundle: a collector that throws is `failed`, one that hangs is abandoned at
// its timeout (`timeout`) and may no longer write, one that has nothing to
// collect here is `skipped` with its reason.
import { hostname, tmpdir } from 'node:os';
import type Dockerode from 'dockerode';
import { CodedError, isCodedError } from '../../../core/coded-error.ts';
import type { CollectorRun } from '../../../schemas/bundle-manifest.ts';
import { type AgentConfig, agentConfigSecrets } from '../../config.ts';
import { agentErrors } from '../../errors.ts';
import type { Redactor } from '../../redaction/index.ts';
import { dockerClient } from '../../sources/docker_logs/index.ts';
import { isTruncatable, planBudget, stagedBudget, type Truncation, truncateFile } from '../budget.ts';
import { blockFormat, type Compression } from '../seal/compress.ts';
import { type StagedFile, Staging } from '../staging.ts';
import { renderSummary } from '../summary.ts';
import { defaultCollectors } from './collectors.ts';
import { type StagePool, stageWorkers, startStagePool } from './stage-pool.ts';
import type { CollectContext, Collector, Facts, TimeWindow } from './types.ts';

export interface CollectOptions {
  window: TimeWindow;
  /** --containers: names or ids; empty or absent: every container. */
  containers?: readonly string[];
  /** The engine for this run; the agent config's secrets are added to it here. */
  redactor: Redactor;
  /**
   * The release check's engine (built-in packs only). When given, staging
   * workers check each file as they write it, so the rescan need not read it
   * again; this run's runtime literals are added to it.
   */
  checker?: Redactor;
  /**
   * The archive's compression, when known: staging workers compress what
   * they write in its blocks as they go, and the archive takes those bytes.
   */
  pack?: Compression;
  config: Readonly<AgentConfig>;
  /** Where `bundle-staging-XXXXXX/` is made (default: the system temp dir). */
  stagingParent?: string;
  /** --max-size in compressed bytes. */
  maxBytes: number;
  docker?: Dockerode;
  env?: NodeJS.ProcessEnv;
  /** Default: every collector, docker_containers first. */
  collectors?: readonly Collector[];
  /** Told when a collector starts and ends (the progress display). */
  onProgress?: (event: CollectProgress) => void;
  now?: () => Date;
}

export type CollectProgress =
  | { collector: string; phase: 'start' }
  | { collector: string; phase: 'end'; run: CollectorRun };

export interface CollectResult {
  /** The staging directory with every file; the caller archives it, then calls staging.remove(). */
  staging: Staging;
  /** Every staged file with its size and redaction counts, SUMMARY.txt included, sorted by path. */
  files: StagedFile[];
  /** One per collector, in run order, with the files each wrote. */
  collectors: CollectorRun[];
  truncations: Truncation[];
  facts: Facts;
  /** For the manifest's `host`. */
  host: { name: string; os?: string; kernel?: string };
  /** The text of SUMMARY.txt as staged (redacted). */
  summary: string;
}

/** Collectors whose findings feed the redaction of the others run alone, before them. */
const RUN_FIRST = new Set(['docker_containers']);

export async function collectBundle(options: CollectOptions): Promise<CollectResult> {
  const now = options.now ?? (() => new Date());
  const { redactor, config } = options;
  redactor.addLiterals(agentConfigSecrets(config as AgentConfig));
  const staging = await Staging.create(options.stagingParent ?? tmpdir(), redactor);
  const docker = options.docker ?? dockerClient(config.sources.docker.host);
  const facts: Facts = {};
  const collectors = options.collectors ?? defaultCollectors;
  const runs = new Map<string, CollectorRun>();
  // Compressing ahead is wasted on a file the budget then cuts: only files that fit in half the budget are.
  const packs = (bytes: number | undefined) =>
    options.pack !== undefined && bytes !== undefined && bytes <= stagedBudget(options.maxBytes) / 2;
  const startPool = (files: number, bytes?: number): StagePool => {
    const literals = redactor.literalValues();
    const check = options.checker && {
      ...options.checker.portable(),
      literals: [...new Set([...options.checker.literalValues(), ...literals])],
    };
    return startStagePool(stageWorkers(files), {
      redact: redactor.portable(),
      check,
      literals: literals.length,
      ...(options.pack && packs(bytes) && { pack: blockFormat(options.pack) }),
    });
  };
  const runOne = async (collector: Collector) => {
    options.onProgress?.({ collector: collector.name, phase: 'start' });
    const run = await runCollector(collector, (signal, isOpen) => ({
      collector: collector.name,
      window: options.window,
      containers: options.containers ?? [],
      redactor,
      config,
      docker,
      env: options.env ?? process.env,
      facts,
      signal,
      emit: (path, content) => staging.emit(collector.name, path, content, isOpen),
      open: (path) => staging.open(collector.name, path, isOpen),
      stagePool: (files, bytes) => startPool(files, bytes),
      reserve: (path) => staging.reserve(collector.name, path, isOpen),
    }));
    // An error text may quote a URL or a command line: it goes through the engine like any byte.
    if (run.error) run.error.message = redactor.redactText(run.error.message).text;
    runs.set(collector.name, run);
    options.onProgress?.({ collector: collector.name, phase: 'end', run });
  };
  for (const collector of collectors.filter((c) => RUN_FIRST.has(c.name))) await runOne(collector);
  await Promise.all(collectors.filter((c) => !RUN_FIRST.has(c.name)).map(runOne));

  if (facts.clock && facts.engineTime) {
    facts.clock.engineSkewMs = facts.engineTime.engine.getTime() - facts.engineTime.local.getTime();
  }
  const truncations = await applyBudget(staging, options.maxBytes);
  const ordered = collectors.map((c) => runs.get(c.name) as CollectorRun);
  for (const run of ordered) {
    const files = staging.files().filter((file) => file.collector === run.name);
    if (files.length > 0) run.files = files.map((file) => file.path);
  }
  const hostName = facts.host?.name ?? hostname();
  const text = renderSummary({
    hostName,
    window: options.window,
    createdAt: now(),
    facts,
    collectors: ordered,
    truncations: truncations.length,
  });
  await staging.emit('summary', 'SUMMARY.txt', text);
  const summary = redactor.redactText(text).text;
  const host = {
    name: hostName,
    ...(facts.host?.os ? { os: facts.host.os } : {}),
    ...(facts.host?.kernel ? { kernel: facts.host.kernel } : {}),
  };
  return { staging, files: staging.files(), collectors: ordered, truncations, facts, host, summary };
}

/** Runs one collector to its end or its timeout, whichever comes first. */
export async function runCollector(
  collector: Collector,
  context: (signal: AbortSignal, isOpen: () => boolean) => CollectContext,
): Promise<CollectorRun> {
  const controller = new AbortController();
  let open = true;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), collector.timeoutMs);
  });
  const work = (async () => collector.collect(context(controller.signal, () => open)))();
  // The abandoned collector's later rejection must not surface as unhandled.
  work.catch(() => undefined);
  try {
    const outcome = await Promise.race([work.then(() => 'ok' as const), timedOut]);
    const duration_ms = Math.round(performance.now() - started);
    if (outcome === 'timeout') {
      const error = new CodedError(agentErrors.COLLECTOR_TIMEOUT, {
        collector: collector.name,
        timeout_ms: collector.timeoutMs,
      });
      controller.abort(error);
      return {
        name: collector.name,
        status: 'timeout',
        duration_ms,
        error: { code: error.code, message: error.message },
      };
    }
    return { name: collector.name, status: 'ok', duration_ms };
  } catch (error) {
    const duration_ms = Math.round(performance.now() - started);
    const coded = isCodedError(error)
      ? error
      : new CodedError(agentErrors.COLLECTOR_FAILED, { collector: collector.name, detail: describe(error) });
    const status = coded.code === agentErrors.COLLECTOR_SKIPPED.code ? 'skipped' : 'failed';
    return { name: collector.name, status, duration_ms, error: { code: coded.code, message: coded.message } };
  } finally {
    // From here on the collector may not add files, whatever it still does.
    open = false;
    clearTimeout(timer);
    controller.abort();
  }
}

async function applyBudget(staging: Staging, maxBytes: number): Promise<Truncation[]> {
  const entries = staging.files().map((file) => ({ ...file, truncatable: isTruncatable(file.path) }));
  const truncations: Truncation[] = [];
  for (const cut of planBudget(entries, stagedBudget(maxBytes))) {
    const { size, ...truncation } = await truncateFile(staging.pathOf(cut.path), cut.path, cut.keep);
    staging.resized(cut.path, size);
    truncations.push(truncation);
  }
  return truncations;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
