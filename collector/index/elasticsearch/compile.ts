// A query of collector/index/query.ts and the request's filters, compiled
// into Elasticsearch's query DSL. Pure: no I/O.
//
//   term            term on the terms field (mapping.ts), whose terms are
//                   already cut and folded by THE token rule
//   phrase          match_phrase of the terms (whitespace analyzer: the
//                   query's terms exactly, at consecutive positions)
//   prefix*         prefix on the terms field; the last term of a phrase
//                   as a prefix is a span_near whose last clause is that
//                   prefix (exact, but a prefix that expands to more terms
//                   than the cluster's clause limit is refused: index.ts)
//   a long term     (over PIECE code units) the phrase of its marked pieces,
//                   as documents.ts indexes it
//   field:value     term (or prefix) on the field's keyword, case-sensitive
//   AND, OR, NOT    bool filter / should / must_not; a bool of must_not only
//                   means everything except, as a query of NOT clauses does
//
// Everything runs in filter context: nothing is scored, results sort by
// time. Every request also carries the visibility clause: only the
// generations each tenant's control document lists (control.ts).
import type { QueryNode } from '../query.ts';
import { type FilterField, filterFields, type SearchFilters } from '../types.ts';
import { pieces } from './documents.ts';
import { fieldPaths, GEN_FIELD, TERMS_FIELD, TIME_FIELD } from './mapping.ts';

export type EsQuery = Record<string, unknown>;

/** One tenant index to search and the generations visible in it. */
export interface Target {
  readonly tenant: string;
  readonly index: string;
  readonly gens: readonly number[];
}

/** The from/to filters in the canonical form of documents.ts (from inclusive, to exclusive). */
export interface TimeRange {
  readonly from?: string;
  readonly to?: string;
}

export function compileQuery(node: QueryNode): EsQuery {
  switch (node.kind) {
    case 'all':
      return { match_all: {} };
    case 'text':
      return textQuery(node.terms, node.prefix);
    case 'field': {
      const path = fieldPaths[node.field];
      return node.prefix ? { prefix: { [path]: { value: node.value } } } : { term: { [path]: node.value } };
    }
    case 'and': {
      const filter: EsQuery[] = [];
      const mustNot: EsQuery[] = [];
      for (const child of node.children) {
        if (child.kind === 'not') mustNot.push(compileQuery(child.child));
        else filter.push(compileQuery(child));
      }
      return { bool: { ...(filter.length > 0 && { filter }), ...(mustNot.length > 0 && { must_not: mustNot }) } };
    }
    case 'or':
      return { bool: { should: node.children.map(compileQuery), minimum_should_match: 1 } };
    case 'not':
      return { bool: { must_not: [compileQuery(node.child)] } };
  }
}

function textQuery(terms: readonly string[], prefix: boolean): EsQuery {
  const parts = terms.flatMap(pieces);
  const last = parts[parts.length - 1] as string;
  if (parts.length === 1) {
    return prefix ? { prefix: { [TERMS_FIELD]: { value: last } } } : { term: { [TERMS_FIELD]: last } };
  }
  if (!prefix) return { match_phrase: { [TERMS_FIELD]: { query: parts.join(' '), analyzer: 'whitespace' } } };
  return {
    span_near: {
      clauses: [
        ...parts.slice(0, -1).map((term) => ({ span_term: { [TERMS_FIELD]: term } })),
        { span_multi: { match: { prefix: { [TERMS_FIELD]: { value: last } } } } },
      ],
      slop: 0,
      in_order: true,
    },
  };
}

/** The filters as clauses: each field's values ORed, fields and the time range ANDed. */
export function filterClauses(filters: SearchFilters, time: TimeRange): EsQuery[] {
  const clauses: EsQuery[] = [];
  for (const field of filterFields) {
    if (field === 'file') continue;
    const values = filters[field as Exclude<FilterField, 'file'>];
    if (values && values.length > 0) clauses.push({ terms: { [fieldPaths[field]]: [...values] } });
  }
  if (time.from !== undefined || time.to !== undefined) {
    clauses.push({
      range: {
        [TIME_FIELD]: {
          ...(time.from !== undefined && { gte: time.from }),
          ...(time.to !== undefined && { lt: time.to }),
        },
      },
    });
  }
  return clauses;
}

/** Only the visible generations of each index (the pairing matters: generation numbers are per tenant). */
export function visibilityClause(targets: readonly Target[]): EsQuery {
  if (targets.length === 1) return { terms: { [GEN_FIELD]: [...(targets[0] as Target).gens] } };
  return {
    bool: {
      should: targets.map((target) => ({
        bool: { filter: [{ term: { _index: target.index } }, { terms: { [GEN_FIELD]: [...target.gens] } }] },
      })),
      minimum_should_match: 1,
    },
  };
}

/** The whole query of a request: visible, matching, filtered. */
export function requestQuery(
  node: QueryNode,
  filters: SearchFilters,
  time: TimeRange,
  targets: readonly Target[],
): EsQuery {
  const filter = [visibilityClause(targets)];
  if (node.kind !== 'all') filter.push(compileQuery(node));
  filter.push(...filterClauses(filters, time));
  return { bool: { filter } };
}
