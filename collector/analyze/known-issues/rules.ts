// Reads a known-issues file (YAML, or JSON which is YAML too): validated
// against schemas/known-issues.ts with unknown keys refused, then each rule
// compiled once — its regex, its template masked like the lines it is
// compared with, its image globs and its version range — so that a rule
// that cannot work is refused when the file is read, naming the rule.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { parseDocument } from 'yaml';
import { resourcePath } from '../../../core/resources.ts';
import { compileValidator, type Validator } from '../../../core/schema-validator.ts';
import type { KnownIssueRule, KnownIssues } from '../../../schemas/known-issues.ts';
import type { Severity } from '../finding.ts';
import { tokenize } from '../templates/mask.ts';
import { parseRange, type VersionRange } from './versions.ts';

export interface CompiledRule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly hint: string;
  readonly link?: string;
  /** Set for a regex signature. */
  readonly regex?: RegExp;
  /** Set for a template signature: its masked tokens. */
  readonly template?: readonly string[];
  /** Globs of image names, as anchored expressions; absent: any line, container or not. */
  readonly images?: readonly RegExp[];
  readonly versions?: VersionRange;
  /** The range as written, for the finding. */
  readonly versionsText?: string;
}

export interface KnownIssueRules {
  readonly rules: readonly CompiledRule[];
  /** "sha256:<hex>" of the file's bytes. */
  readonly hash: string;
}

/** A rules file that cannot be used; the message names the file and what is wrong. */
export class KnownIssuesInvalid extends Error {
  constructor(path: string, detail: string) {
    super(`known-issue rules ${path} are not usable: ${detail}`);
    this.name = 'KnownIssuesInvalid';
  }
}

let validator: Validator<KnownIssues> | undefined;

function knownIssuesValidator(): Validator<KnownIssues> {
  // The published schema, as the collector's config reads its own: commands do not load TypeBox.
  validator ??= compileValidator<KnownIssues>(
    JSON.parse(readFileSync(resourcePath('schemas/json/known-issues.schema.json'), 'utf8')) as TSchema,
  );
  return validator;
}

/** Parses, validates and compiles a rules file's bytes; throws KnownIssuesInvalid. */
export function compileKnownIssues(bytes: Uint8Array, path: string): KnownIssueRules {
  const document = parseDocument(Buffer.from(bytes).toString('utf8'), { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new KnownIssuesInvalid(
      path,
      `not valid YAML (${document.errors.map((error) => error.message.split('\n')[0]).join('; ')})`,
    );
  }
  const value: unknown = document.toJS() ?? {};
  const check = knownIssuesValidator();
  if (!check.check(value)) {
    throw new KnownIssuesInvalid(
      path,
      check.problems
        .map((problem) => (problem.path ? `"${problem.path}" ${problem.message}` : problem.message))
        .join('; '),
    );
  }
  const seen = new Set<string>();
  const rules = value.rules.map((rule, index) => {
    if (seen.has(rule.id)) throw new KnownIssuesInvalid(path, `rules.${index}: the id "${rule.id}" is used twice`);
    seen.add(rule.id);
    try {
      return compileRule(rule);
    } catch (error) {
      throw new KnownIssuesInvalid(path, `rule "${rule.id}": ${(error as Error).message}`);
    }
  });
  return { rules, hash: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

function compileRule(rule: KnownIssueRule): CompiledRule {
  const signature = rule.signature;
  let regex: RegExp | undefined;
  let template: string[] | undefined;
  if ('regex' in signature) {
    try {
      regex = new RegExp(signature.regex, signature.ignore_case ? 'i' : '');
    } catch (error) {
      throw new Error(`its regex does not compile (${(error as Error).message})`);
    }
  } else {
    template = tokenize(signature.template);
    if (template.length === 0) throw new Error('its template has no token');
  }
  let versions: VersionRange | undefined;
  if (rule.versions !== undefined) versions = parseRange(rule.versions);
  return {
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    hint: rule.hint,
    ...(rule.link !== undefined && { link: rule.link }),
    ...(regex && { regex }),
    ...(template && { template }),
    ...(rule.images && { images: rule.images.map(globExpression) }),
    ...(versions && { versions, versionsText: rule.versions }),
  };
}

/** `*` any run of characters (slashes too), `?` one character, the rest literal; whole name. */
export function globExpression(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}

/**
 * Whether an image name matches one of the globs: as written in the
 * container's config, or without its registry (`registry:5000/acme/app`
 * matches `acme/app`), or without Docker Hub's `docker.io/library/`.
 */
export function imageMatches(name: string, globs: readonly RegExp[]): boolean {
  const forms = [name];
  const slash = name.indexOf('/');
  const first = slash > 0 ? name.slice(0, slash) : '';
  if (first.includes('.') || first.includes(':') || first === 'localhost') forms.push(name.slice(slash + 1));
  if (name.startsWith('docker.io/library/')) forms.push(name.slice('docker.io/library/'.length));
  return globs.some((glob) => forms.some((form) => glob.test(form)));
}
