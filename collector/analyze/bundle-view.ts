// Read access to an unpacked bundle for the analyzers' `finish`: each file is
// read at most once however many analyzers ask, documents larger than a cap
// are left alone (a hostile bundle must not make analysis expensive), and a
// missing or malformed file is simply absent: an analyzer then says nothing.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundleManifest } from '../../schemas/bundle-manifest.ts';
import type { BundleFacts } from '../ingest/facts.ts';
import type { BundleView } from './analyzer.ts';
import { type FieldEvidence, fieldAt } from './finding.ts';

const maxDocumentBytes = 8 * 1024 * 1024;

/** The parts of `docker inspect` the analyzers read; every field may be missing or of another type. */
export interface Inspect {
  readonly Id?: unknown;
  readonly Name?: unknown;
  readonly RestartCount?: unknown;
  readonly Config?: { readonly Image?: unknown };
  readonly HostConfig?: { readonly RestartPolicy?: { readonly Name?: unknown }; readonly Memory?: unknown };
  readonly State?: {
    readonly Status?: unknown;
    readonly Restarting?: unknown;
    readonly ExitCode?: unknown;
    readonly OOMKilled?: unknown;
    readonly Error?: unknown;
    readonly StartedAt?: unknown;
    readonly FinishedAt?: unknown;
    readonly Health?: {
      readonly Status?: unknown;
      readonly FailingStreak?: unknown;
      readonly Log?: unknown;
    };
  };
}

export interface ContainerDocument {
  /** The container's name (inspect Name without its slash), else its directory. */
  readonly name: string;
  /** Path inside the bundle: containers/<dir>/inspect.json. */
  readonly file: string;
  readonly inspect: Inspect;
}

export function createBundleView(dir: string, manifest: BundleManifest, facts: BundleFacts): BundleView {
  const documents = new Map<string, Promise<unknown>>();
  const texts = new Map<string, Promise<string | undefined>>();
  let containers: Promise<readonly ContainerDocument[]> | undefined;
  const text = (path: string) => {
    let read = texts.get(path);
    if (!read) {
      read = readCapped(join(dir, path));
      texts.set(path, read);
    }
    return read;
  };
  const json = (path: string) => {
    let parsed = documents.get(path);
    if (!parsed) {
      parsed = text(path).then((content) => {
        if (content === undefined) return undefined;
        try {
          return JSON.parse(content) as unknown;
        } catch {
          return undefined;
        }
      });
      documents.set(path, parsed);
    }
    return parsed;
  };
  return {
    dir,
    manifest,
    facts,
    createdAtMs: Date.parse(manifest.created_at),
    json,
    text,
    containers() {
      containers ??= readContainers(dir, json);
      return containers;
    },
  };
}

async function readContainers(
  dir: string,
  json: (path: string) => Promise<unknown>,
): Promise<readonly ContainerDocument[]> {
  const names = await readdir(join(dir, 'containers')).catch(() => [] as string[]);
  const found: ContainerDocument[] = [];
  for (const name of names.sort()) {
    const file = `containers/${name}/inspect.json`;
    const inspect = await json(file);
    if (!inspect || typeof inspect !== 'object' || Array.isArray(inspect)) continue;
    const own = (inspect as Inspect).Name;
    found.push({
      name: typeof own === 'string' && own.length > 1 ? own.replace(/^\//, '') : name,
      file,
      inspect: inspect as Inspect,
    });
  }
  return found;
}

async function readCapped(path: string): Promise<string | undefined> {
  try {
    const bytes = await readFile(path);
    return bytes.length > maxDocumentBytes ? undefined : bytes.toString('utf8');
  } catch {
    return undefined;
  }
}

export const asNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
export const asText = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
export const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** What an exit code usually means, to put beside it. */
export function exitMeaning(code: number): string | undefined {
  if (code === 137) return 'SIGKILL: out of memory or "docker kill"';
  if (code === 143) return 'SIGTERM: stopped';
  if (code === 139) return 'SIGSEGV: the process crashed';
  if (code === 134) return 'SIGABRT: the process aborted';
  if (code === 126) return 'the command could not be executed';
  if (code === 127) return 'the command was not found';
  if (code === 125) return 'the container could not be started';
  if (code > 128 && code < 160) return `killed by signal ${code - 128}`;
  return undefined;
}

/** "exit code 3" or "exit code 137 (SIGKILL: ...)". */
export function describeExit(code: number): string {
  const meaning = exitMeaning(code);
  return meaning ? `exit code ${code} (${meaning})` : `exit code ${code}`;
}

/** The value at `path` inside a parsed JSON document, or undefined. */
export function valueAt(document: unknown, path: readonly (string | number)[]): unknown {
  let node = document;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

/** Field evidence for each path that holds a value in the document. */
export function presentFields(
  file: string,
  document: unknown,
  paths: readonly (readonly (string | number)[])[],
): FieldEvidence[] {
  const found: FieldEvidence[] = [];
  for (const path of paths) {
    const value = valueAt(document, path);
    if (value !== undefined && value !== null) found.push(fieldAt(file, path, value));
  }
  return found;
}
