// Compiles a published schema once with Ajv and turns Ajv's errors into
// sentences that name the offending key and where it came from.
import type { TSchema } from '@sinclair/typebox';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { inputSchema } from '../schemas/input-schema.ts';

export interface ValidationProblem {
  /** Dotted path of the setting, e.g. "spool.max_bytes". */
  readonly path: string;
  readonly message: string;
}

export interface Validator<T> {
  /** Fills defaults into `value` in place; returns the problems (empty when valid). */
  check(value: unknown): value is T;
  readonly problems: readonly ValidationProblem[];
}

function makeAjv(useDefaults: boolean, allErrors: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors, useDefaults, strict: true, allowUnionTypes: true, verbose: true });
  // Marks a setting whose value must never be printed (see core/config.ts).
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  return ajv;
}

/**
 * `allErrors: false` stops at the first problem: for input from outside
 * (a bundle's manifest), where collecting every error of a hostile document
 * could cost gigabytes; config files keep every problem for the user.
 */
export function compileValidator<T>(
  schema: TSchema,
  options: { useDefaults?: boolean; allErrors?: boolean } = {},
): Validator<T> {
  const validate: ValidateFunction = makeAjv(options.useDefaults ?? true, options.allErrors ?? true).compile(
    inputSchema(schema),
  );
  let problems: ValidationProblem[] = [];
  return {
    check(value: unknown): value is T {
      const ok = validate(value);
      problems = ok ? [] : describeErrors(validate.errors ?? []);
      return ok;
    },
    get problems() {
      return problems;
    },
  };
}

function describeErrors(errors: ErrorObject[]): ValidationProblem[] {
  const seen = new Set<string>();
  const problems: ValidationProblem[] = [];
  // anyOf reports each failed branch and then itself; the branch errors are
  // noise to a user ("must be integer" and "must match pattern" for one size).
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const error of errors) {
    if (error.keyword !== 'anyOf' && error.keyword !== 'additionalProperties' && anyOfPaths.has(error.instancePath))
      continue;
    const problem = describeError(error);
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function describeError(error: ErrorObject): ValidationProblem {
  const base = pointerToPath(error.instancePath);
  const join = (child: string) => (base ? `${base}.${child}` : child);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { path: join(String(params.additionalProperty)), message: 'unknown key' };
    case 'required':
      return { path: join(String(params.missingProperty)), message: 'is required' };
    case 'anyOf': {
      const allowed = constOptions(error);
      return { path: base, message: allowed ? `must be one of ${allowed}` : describeAnyOf(error) };
    }
    default:
      return { path: base, message: error.message ?? 'is invalid' };
  }
}

function constOptions(error: ErrorObject): string | undefined {
  const branches = (error.parentSchema as { anyOf?: Array<{ const?: unknown }> } | undefined)?.anyOf;
  if (!branches?.every((branch) => 'const' in branch)) return undefined;
  return branches.map((branch) => String(branch.const)).join(', ');
}

function describeAnyOf(error: ErrorObject): string {
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  return description ? `is not valid (${description})` : 'does not match any allowed form';
}
