// What a failed dump tells the operator. A full disk is the failure a dump
// meets most (it stages everything it collects, uncompressed, under the data
// directory, and then writes the bundle beside --out), so ENOSPC and EDQUOT
// become SHIPLOG_ERR_DUMP_NO_SPACE wherever they happen: in a collector, in
// the staging directory, in the output. The message names the file system
// that is full and what would help there. Any other system error becomes
// SHIPLOG_ERR_BUNDLE_WRITE, never an "unexpected error".
import { dirname, isAbsolute, relative } from 'node:path';
import { CodedError, isCodedError } from '../../../core/coded-error.ts';
import type { CollectorRun } from '../../../schemas/bundle-manifest.ts';
import { agentErrors } from '../../errors.ts';

/** Where the build was when it failed: collecting and checking (staging), or writing the bundle (output). */
export type DumpPhase = 'staging' | 'output';

export interface FailurePlace {
  readonly phase: DumpPhase;
  readonly dataDir: string;
  /** The --out path; undefined for standard output. */
  readonly output: string | undefined;
}

const noSpaceCodes = new Set(['ENOSPC', 'EDQUOT']);

/** The first system error (one with an E... code) in the error and its causes. */
export function systemErrorOf(error: unknown): NodeJS.ErrnoException | undefined {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 8; at = at.cause, depth++) {
    const code = (at as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return at as NodeJS.ErrnoException;
  }
  return undefined;
}

/**
 * A collector that failed because the staging directory filled up. Collectors
 * report failures as text (the manifest keeps only code and message), and the
 * system's code is in it: "ENOSPC: no space left on device, write".
 */
export function ranOutOfSpace(run: CollectorRun): string | undefined {
  return /\b(ENOSPC|EDQUOT)\b/.exec(run.error?.message ?? '')?.[1];
}

/** The error to show for `error`, thrown at `place`; coded errors without a full disk behind them stay as they are. */
export function explainFailure(error: unknown, place: FailurePlace): unknown {
  const system = systemErrorOf(error);
  if (system?.code && noSpaceCodes.has(system.code)) return noSpace(system.code, place, system.path, error);
  if (isCodedError(error) || !system) return error;
  const at = system.path ? ` (${system.path})` : '';
  return new CodedError(
    agentErrors.BUNDLE_WRITE,
    { path: place.output ?? 'to standard output', detail: `${system.code}${at}` },
    { cause: error },
  );
}

/** SHIPLOG_ERR_DUMP_NO_SPACE for the file system that `path` (or the phase) points at. */
export function noSpace(code: string, place: FailurePlace, path?: string, cause?: unknown): CodedError {
  const where = fullPlace(place, path);
  const advice =
    where === 'data'
      ? 'Everything is staged under the data directory before it is sealed: free space there, point SHIPLOG_DATA_DIR at a directory on a larger disk, or collect less (a shorter --since window, or --containers).'
      : where === 'output'
        ? 'Free space there, give --out a path on another disk, or make the bundle smaller with --max-size or a shorter --since window.'
        : 'Free space where standard output is written, or make the bundle smaller with --max-size or a shorter --since window.';
  const shown =
    where === 'data' ? place.dataDir : where === 'output' ? dirname(place.output ?? '.') : 'standard output';
  return new CodedError(agentErrors.DUMP_NO_SPACE, { path: shown, detail: code, advice }, { cause });
}

function fullPlace(place: FailurePlace, path: string | undefined): 'data' | 'output' | 'stdout' {
  if (path !== undefined && inside(place.dataDir, path)) return 'data';
  if (path !== undefined && place.output !== undefined && inside(dirname(place.output), path)) return 'output';
  if (place.phase === 'staging') return 'data';
  return place.output === undefined ? 'stdout' : 'output';
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
