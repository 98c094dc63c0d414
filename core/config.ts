// Loads a YAML config file, overlays PREFIX_* environment variables, validates
// against the schema (unknown keys are errors naming the key and the file),
// fills defaults and freezes the result.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TSchema } from '@sinclair/typebox';
import { compileValidator, type ValidationProblem } from './schema-validator.ts';

export interface ConfigErrors {
  invalid: (details: { source: string; detail: string; problems: readonly ValidationProblem[] }) => Error;
  unreadable: (details: { path: string; detail: string }) => Error;
  parse: (details: { path: string; detail: string }) => Error;
}

export interface LoadConfigOptions {
  schema: TSchema;
  /** e.g. "SHIPLOG_" : SHIPLOG_SPOOL_MAX_BYTES sets spool.max_bytes. */
  envPrefix: string;
  file?: string;
  env?: NodeJS.ProcessEnv;
  errors: ConfigErrors;
}

type Json = Record<string, unknown>;

interface Leaf {
  path: string[];
  schema: Json;
}

export function loadConfig<T>(options: LoadConfigOptions): Readonly<T> {
  const env = options.env ?? process.env;
  const fromFile = options.file ? readConfigFile(options.file, options.errors) : {};
  const origins = new Map<string, string>();
  for (const leaf of leaves(options.schema as unknown as Json)) {
    const name = envName(options.envPrefix, leaf.path);
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(fromFile, leaf.path, coerce(raw, leaf.schema));
    origins.set(leaf.path.join('.'), name);
  }
  const validator = compileValidator<T>(options.schema);
  if (!validator.check(fromFile)) {
    const problems = validator.problems.map((problem) => {
      const variable = origins.get(problem.path);
      return variable ? { ...problem, path: `${problem.path} (from ${variable})` } : problem;
    });
    const detail = problems.map((p) => (p.path ? `"${p.path}" ${p.message}` : p.message)).join('; ');
    throw options.errors.invalid({ source: options.file ?? 'from the environment', detail, problems });
  }
  return deepFreeze(fromFile) as Readonly<T>;
}

function readConfigFile(path: string, errors: ConfigErrors): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw errors.unreadable({ path, detail: (error as NodeJS.ErrnoException).code ?? String(error) });
  }
  // Loaded only when there is a file to read (12 MB a process started without one does not need).
  const { parseDocument } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw errors.parse({ path, detail: document.errors.map((e) => e.message.split('\n')[0]).join('; ') });
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw errors.parse({ path, detail: 'the top level must be a mapping of settings' });
  }
  return value as Json;
}

/** Every setting an environment variable can reach: the non-object leaves of the schema. */
export function leaves(schema: Json, path: string[] = []): Leaf[] {
  const properties = schema.properties as Record<string, Json> | undefined;
  if (!properties) return path.length > 0 ? [{ path, schema }] : [];
  return Object.entries(properties).flatMap(([key, child]) => leaves(child, [...path, key]));
}

export function envName(prefix: string, path: string[]): string {
  return `${prefix}${path.join('_').toUpperCase()}`;
}

function typesOf(schema: Json): Set<string> {
  const types = new Set<string>();
  const visit = (node: Json) => {
    if (typeof node.type === 'string') types.add(node.type);
    if ('const' in node) types.add(typeof node.const);
    for (const branch of (node.anyOf as Json[] | undefined) ?? []) visit(branch);
  };
  visit(schema);
  return types;
}

function coerce(raw: string, schema: Json): unknown {
  const types = typesOf(schema);
  const trimmed = raw.trim();
  if (types.has('boolean') && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === 'true';
  if ((types.has('integer') || types.has('number')) && /^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (types.has('array') && (!types.has('string') || trimmed.includes(','))) {
    return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
  }
  return raw;
}

function setPath(target: Json, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Json;
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** A copy of a config fit for printing: every `secret` setting reads [REDACTED]. */
export function displayConfig(config: unknown, schema: TSchema): unknown {
  return mapSecrets(config, schema as unknown as Json, () => '[REDACTED]');
}

/** The values of every `secret` setting, for the redaction engine's literal list. */
export function secretValues(config: unknown, schema: TSchema): string[] {
  const found: string[] = [];
  mapSecrets(config, schema as unknown as Json, (value) => {
    found.push(value);
    return value;
  });
  return found;
}

function mapSecrets(value: unknown, schema: Json, onSecret: (value: string) => string): unknown {
  if (schema.secret === true && typeof value === 'string') return onSecret(value);
  const properties = schema.properties as Record<string, Json> | undefined;
  if (!properties || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Json = {};
  for (const [key, child] of Object.entries(value as Json)) {
    const childSchema = properties[key];
    out[key] = childSchema ? mapSecrets(child, childSchema, onSecret) : child;
  }
  return out;
}
