// Loads rule packs (YAML or JSON), validates them against
// schemas/redaction-rules.ts (unknown keys are errors naming key and file),
// and fingerprints them: the bundle manifest records each pack's name,
// version and content hash.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { CodedError } from '../../core/coded-error.ts';
import { resourcePath } from '../../core/resources.ts';
import { compileValidator, type Validator } from '../../core/schema-validator.ts';
import { type RedactionRules, RedactionRulesSchema } from '../../schemas/redaction-rules.ts';
import { agentErrors } from '../errors.ts';

export interface LoadedPack {
  readonly path: string;
  readonly name: string;
  readonly version: string;
  /** "sha256:<hex>" of the file's bytes: `sha256sum` gives the same digest. */
  readonly hash: string;
  readonly builtIn: boolean;
  readonly rules: RedactionRules['rules'];
  readonly keep: RedactionRules['keep'];
}

export interface PackSummary {
  readonly name: string;
  readonly version: string;
  readonly hash: string;
  readonly rules: number;
  readonly built_in: boolean;
}

export const builtInPackDir: string = resourcePath('agent/redaction/packs');

/** The built-in packs, in name order (credentials, keep, personal). */
export function builtInPackPaths(): string[] {
  return readdirSync(builtInPackDir)
    .filter((name) => /\.(ya?ml|json)$/.test(name))
    .sort()
    .map((name) => join(builtInPackDir, name));
}

let validator: Validator<RedactionRules> | undefined;

export interface LoadOptions {
  /**
   * Keep what only people and tests read: each rule's `examples` (its test
   * cases) and the descriptions. The engine never reads them, so by default
   * they are cut from the text before it is parsed (see withoutDocumentation).
   */
  readonly examples?: boolean;
  /** Read the YAML even when the parsed form is current (generate.ts, which writes that form). */
  readonly yamlOnly?: boolean;
}

export function loadPack(path: string, builtIn = false, options: LoadOptions = {}): LoadedPack {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CodedError(
      agentErrors.REDACTION_RULES_UNREADABLE,
      { path, detail: (error as NodeJS.ErrnoException).code ?? String(error) },
      { cause: error },
    );
  }
  if (builtIn && !options.examples && !options.yamlOnly) {
    const parsed = readParsedPack(path, bytes);
    if (parsed) return parsed;
  }
  return parsePack(bytes, path, builtIn, options);
}

/**
 * A built-in pack is also kept parsed, as JSON (packs/parsed/NAME.parsed,
 * written by `node agent/redaction/generate.ts`), with the hash of the YAML
 * it was made from: parsing some 300 rules of YAML and compiling the schema
 * validator cost a fifth of a second at every start of a redactor and of
 * each of its worker threads, JSON.parse a millisecond. The parsed form is
 * used only when its hash is the YAML file's own, so an edited pack is
 * always read from its YAML (and a unit test says the parsed form is stale).
 * The extension is not .json so that formatters leave the generated text be.
 */
export const parsedPackDir: string = join(builtInPackDir, 'parsed');

export function parsedPackPath(path: string): string {
  return join(parsedPackDir, `${basename(path).replace(/\.(ya?ml|json)$/, '')}.parsed`);
}

interface ParsedPack {
  readonly source: string;
  readonly pack: RedactionRules;
}

/** The parsed form of a pack, as generate.ts writes it. */
export function parsedPackText(pack: LoadedPack): string {
  const value: RedactionRules = { name: pack.name, version: pack.version, rules: pack.rules, keep: pack.keep };
  return `${JSON.stringify({ source: pack.hash, pack: value } satisfies ParsedPack)}\n`;
}

function readParsedPack(path: string, bytes: Uint8Array): LoadedPack | undefined {
  let parsed: ParsedPack;
  try {
    parsed = JSON.parse(readFileSync(parsedPackPath(path), 'utf8')) as ParsedPack;
  } catch {
    return undefined;
  }
  const hash = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (parsed.source !== hash) return undefined;
  const { pack } = parsed;
  return { path, name: pack.name, version: pack.version, hash, builtIn: true, rules: pack.rules, keep: pack.keep };
}

/** Parses and validates a pack from its bytes; `path` names it in errors. */
export function parsePack(bytes: Uint8Array, path: string, builtIn = false, options: LoadOptions = {}): LoadedPack {
  const invalid = (detail: string) => new CodedError(agentErrors.REDACTION_RULES_INVALID, { path, detail });
  const text = Buffer.from(bytes).toString('utf8');
  const document = parseDocument(options.examples ? text : withoutDocumentation(text), {
    uniqueKeys: true,
    prettyErrors: true,
  });
  if (document.errors.length > 0) {
    throw invalid(`not valid YAML or JSON (${document.errors.map((e) => e.message.split('\n')[0]).join('; ')})`);
  }
  const value: unknown = document.toJS();
  validator ??= compileValidator<RedactionRules>(RedactionRulesSchema);
  if (!validator.check(value)) {
    const problems = validator.problems.map((p) => (p.path ? `"${p.path}" ${p.message}` : p.message));
    throw invalid(problems.join('; '));
  }
  const problems = semanticProblems(value);
  if (problems.length > 0) throw invalid(problems.join('; '));
  return {
    path,
    name: value.name,
    version: value.version,
    hash: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    builtIn,
    rules: value.rules,
    keep: value.keep,
  };
}

/**
 * The text without what only people and tests read: every rule's
 * `examples:` block (the key line and the lines indented under it) and every
 * `description:` (on its line, or folded over the lines indented under it).
 * They are most of a built-in pack's bytes, and parsing them would double the
 * time every redactor and every worker thread spends loading the packs.
 * Anything written in flow style is left for the parser as it is; the pack's
 * hash is still taken over the whole file.
 */
export function withoutDocumentation(text: string): string {
  const lines = text.split('\n');
  const kept: string[] = [];
  let cutIndent = -1;
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    if (cutIndent >= 0) {
      if (line.trim() === '' || indent > cutIndent) continue;
      cutIndent = -1;
    }
    if (/^\s+examples:\s*$/.test(line) || /^\s+description:\s*[>|][-+]?\s*$/.test(line)) {
      cutIndent = indent;
      continue;
    }
    if (/^\s+description:\s*(?:'[^']*(?:''[^']*)*'|"[^"\\]*(?:\\.[^"\\]*)*"|[^\s'"#&*!|>%@`{[].*)\s*$/.test(line))
      continue;
    kept.push(line);
  }
  return kept.join('\n');
}

/** What the schema cannot say: one way to match per rule, unique ids. */
function semanticProblems(pack: RedactionRules): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  pack.rules.forEach((rule, index) => {
    const where = `"rules.${index}" (${rule.id})`;
    if (seen.has(rule.id)) problems.push(`${where} repeats the id "${rule.id}"`);
    seen.add(rule.id);
    if (rule.regex !== undefined && rule.literal !== undefined) problems.push(`${where} has both regex and literal`);
    if (rule.regex === undefined && rule.literal === undefined && rule.field === undefined) {
      problems.push(`${where} needs a regex, a literal or a field`);
    }
    if (rule.block && rule.regex === undefined) problems.push(`${where} has a block but no regex`);
    if (rule.min_entropy !== undefined && rule.validator !== 'entropy') {
      problems.push(`${where} sets min_entropy without validator: entropy`);
    }
    if (rule.group !== undefined && rule.regex === undefined) problems.push(`${where} sets group without a regex`);
  });
  const keepSeen = new Set<string>();
  pack.keep.forEach((keep, index) => {
    if (keepSeen.has(keep.id)) problems.push(`"keep.${index}" repeats the id "${keep.id}"`);
    keepSeen.add(keep.id);
  });
  return problems;
}

export function summarizePack(pack: LoadedPack): PackSummary {
  return { name: pack.name, version: pack.version, hash: pack.hash, rules: pack.rules.length, built_in: pack.builtIn };
}

/** One hash for the whole rule set: changes when any pack (or their order) changes. */
export function ruleSetHash(packs: readonly LoadedPack[]): string {
  const lines = packs.map((pack) => `${pack.name}@${pack.version} ${pack.hash}\n`).join('');
  return `sha256:${createHash('sha256').update(lines).digest('hex')}`;
}
