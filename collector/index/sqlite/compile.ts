// A query and its filters, compiled for one generation into an FTS5 MATCH
// expression over the message column and the synthetic terms of the meta
// column (schema.ts), or found to match all or none of its events.
//
// Field clauses are resolved against what the generation holds: a value
// that none of its events has makes the clause match nothing; a value all
// of them have makes it match everything (so `site:x` on a one-site bundle
// costs nothing). Origin fields (site, container, service, source, file)
// become the origins that have the value; when those are most of the
// generation's origins, the clause is written as NOT the others, which keeps
// the expression short.
//
// Every part compiles to one of: all, none, a positive expression P (the
// events matching P), or a negative one N (all events except those matching
// N). FTS5 has no unary NOT, so a negative part is subtracted from a
// positive sibling (P NOT N), or from the universe term `xa` when it stands
// alone: a query of NOT clauses only means everything except them.
import type { QueryNode } from '../query.ts';
import { type FilterField, filterFields, type SearchFilters } from '../types.ts';
import type { Generation, TenantFile } from './tenant-file.ts';

export type Plan =
  | { readonly kind: 'none' }
  | { readonly kind: 'all' }
  | { readonly kind: 'match'; readonly match: string };

type Part =
  | { readonly t: 'all' }
  | { readonly t: 'none' }
  | { readonly t: 'pos'; readonly s: string }
  | { readonly t: 'neg'; readonly s: string };

const ALL: Part = { t: 'all' };
const NONE: Part = { t: 'none' };
export const UNIVERSE = 'meta : xa';

const originFields = new Set<FilterField>(['site', 'container', 'service', 'source', 'file']);

/** The plan for one generation of `file`. */
export function planFor(query: QueryNode, filters: SearchFilters, generation: Generation, file: TenantFile): Plan {
  const parts = [compile(query, generation, file)];
  for (const field of filterFields) {
    if (field === 'file') continue;
    const values = filters[field as Exclude<FilterField, 'file'>];
    if (!values || values.length === 0) continue;
    parts.push(or(values.map((value) => fieldPart(field, value, false, generation, file))));
  }
  const part = and(parts);
  switch (part.t) {
    case 'all':
      return { kind: 'all' };
    case 'none':
      return { kind: 'none' };
    case 'pos':
      return { kind: 'match', match: part.s };
    case 'neg':
      return { kind: 'match', match: `${UNIVERSE} NOT (${part.s})` };
  }
}

/** The MATCH expression for a plan that is not 'none'. */
export function matchOf(plan: Exclude<Plan, { kind: 'none' }>): string {
  return plan.kind === 'all' ? UNIVERSE : plan.match;
}

function compile(node: QueryNode, generation: Generation, file: TenantFile): Part {
  switch (node.kind) {
    case 'all':
      return ALL;
    case 'text':
      return { t: 'pos', s: `message : "${node.terms.join(' ')}"${node.prefix ? ' *' : ''}` };
    case 'field':
      return fieldPart(node.field, node.value, node.prefix, generation, file);
    case 'and':
      return and(node.children.map((child) => compile(child, generation, file)));
    case 'or':
      return or(node.children.map((child) => compile(child, generation, file)));
    case 'not':
      return not(compile(node.child, generation, file));
  }
}

function fieldPart(field: FilterField, value: string, prefix: boolean, generation: Generation, file: TenantFile): Part {
  if (field === 'bundle') {
    return (prefix ? generation.bundle.startsWith(value) : generation.bundle === value) ? ALL : NONE;
  }
  const ids = new Set(file.valueIds(field, value, prefix));
  if (ids.size === 0) return NONE;
  if (originFields.has(field)) {
    const key = field as keyof ReturnType<TenantFile['origin']>;
    const matching: number[] = [];
    const others: number[] = [];
    for (const origin of generation.origins.keys()) {
      (ids.has(file.origin(origin)[key]) ? matching : others).push(origin);
    }
    return termSet('xo', matching, others);
  }
  const present = field === 'level' ? generation.levels : generation.streams;
  const matching: number[] = [];
  const others: number[] = [];
  for (const id of present.keys()) (id !== 0 && ids.has(id) ? matching : others).push(id);
  // Events without the field have no term to subtract, so id 0 among the others rules out the NOT form.
  return termSet(field === 'level' ? 'xl' : 'xt', matching, others.includes(0) ? undefined : others);
}

/** The events carrying one of `matching`'s terms; written as NOT `others` when that is shorter. */
function termSet(prefix: string, matching: readonly number[], others: readonly number[] | undefined): Part {
  if (matching.length === 0) return NONE;
  if (others && others.length === 0) return ALL;
  const terms = (ids: readonly number[]) =>
    `meta : ${ids.length === 1 ? `${prefix}${ids[0]}` : `(${ids.map((id) => `${prefix}${id}`).join(' OR ')})`}`;
  if (others && others.length < matching.length) return { t: 'neg', s: terms(others) };
  return { t: 'pos', s: terms(matching) };
}

function and(parts: readonly Part[]): Part {
  const positives: string[] = [];
  const negatives: string[] = [];
  for (const part of parts) {
    if (part.t === 'none') return NONE;
    if (part.t === 'pos') positives.push(part.s);
    else if (part.t === 'neg') negatives.push(part.s);
  }
  if (positives.length === 0 && negatives.length === 0) return ALL;
  const excluded = negatives.length === 1 ? (negatives[0] as string) : negatives.map((s) => `(${s})`).join(' OR ');
  if (positives.length === 0) return { t: 'neg', s: excluded };
  const included = positives.length === 1 ? (positives[0] as string) : positives.map((s) => `(${s})`).join(' AND ');
  return { t: 'pos', s: negatives.length === 0 ? included : `(${included}) NOT (${excluded})` };
}

function or(parts: readonly Part[]): Part {
  const live = parts.filter((part) => part.t !== 'none');
  if (live.length === 0) return NONE;
  if (live.some((part) => part.t === 'all')) return ALL;
  if (live.length === 1) return live[0] as Part;
  // NOT a OR NOT b is NOT (a AND b).
  if (live.every((part) => part.t === 'neg')) return not(and(live.map((part) => not(part))));
  return {
    t: 'pos',
    s: live
      .map((part) =>
        part.t === 'neg' ? `(${UNIVERSE} NOT (${(part as { s: string }).s}))` : `(${(part as { s: string }).s})`,
      )
      .join(' OR '),
  };
}

function not(part: Part): Part {
  switch (part.t) {
    case 'all':
      return NONE;
    case 'none':
      return ALL;
    case 'pos':
      return { t: 'neg', s: part.s };
    case 'neg':
      return { t: 'pos', s: part.s };
  }
}
