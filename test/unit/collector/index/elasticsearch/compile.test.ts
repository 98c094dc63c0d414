import { describe, expect, it } from 'vitest';
import {
  compileQuery,
  filterClauses,
  requestQuery,
  visibilityClause,
} from '../../../../../collector/index/elasticsearch/compile.ts';
import { CONTINUED, CONTINUES, PIECE } from '../../../../../collector/index/elasticsearch/documents.ts';
import { parseQuery } from '../../../../../collector/index/query.ts';

const T = 'shiplog_index.terms';
const compile = (q: string) => compileQuery(parseQuery(q));

describe('compileQuery: the query language as query DSL', () => {
  it.each([
    ['', { match_all: {} }],
    ['Timeout', { term: { [T]: 'timeout' } }],
    ['conn*', { prefix: { [T]: { value: 'conn' } } }],
    ['"refused by"', { match_phrase: { [T]: { query: 'refused by', analyzer: 'whitespace' } } }],
    ['10.0.0.1', { match_phrase: { [T]: { query: '10 0 0 1', analyzer: 'whitespace' } } }],
    ['日本語のログ', { term: { [T]: '日本語のログ' } }],
    ['ÜNÏCÖDÉ', { term: { [T]: 'ünïcödé' } }],
    ['level:error', { term: { 'log.level': 'error' } }],
    ['level:Err*', { prefix: { 'log.level': { value: 'Err' } } }],
    ['site:node02', { term: { 'host.name': 'node02' } }],
    ['bundle:b1', { term: { 'shiplog.bundle': 'b1' } }],
    ['file:"syslog/messages"', { term: { 'shiplog.file': 'syslog/messages' } }],
    ['source:syslog', { term: { 'shiplog.source': 'syslog' } }],
    ['container:ledger', { term: { 'container.name': 'ledger' } }],
    ['service:cron', { term: { 'service.name': 'cron' } }],
    ['stream:stderr', { term: { 'log.stream': 'stderr' } }],
  ])('%j', (q, expected) => {
    expect(compile(q)).toEqual(expected);
  });

  it('makes the last term of a phrase a prefix with a span query, exact and in order', () => {
    expect(compile('user.na*')).toEqual({
      span_near: {
        clauses: [{ span_term: { [T]: 'user' } }, { span_multi: { match: { prefix: { [T]: { value: 'na' } } } } }],
        slop: 0,
        in_order: true,
      },
    });
  });

  it('puts AND in filter context, its negated parts in must_not, OR in should, NOT alone as all-except', () => {
    expect(compile('user -alice level:info')).toEqual({
      bool: {
        filter: [{ term: { [T]: 'user' } }, { term: { 'log.level': 'info' } }],
        must_not: [{ term: { [T]: 'alice' } }],
      },
    });
    expect(compile('alice OR NOT user')).toEqual({
      bool: {
        should: [{ term: { [T]: 'alice' } }, { bool: { must_not: [{ term: { [T]: 'user' } }] } }],
        minimum_should_match: 1,
      },
    });
    expect(compile('-user -payment')).toEqual({
      bool: { must_not: [{ term: { [T]: 'user' } }, { term: { [T]: 'payment' } }] },
    });
    expect(compile('NOT (a OR b)')).toEqual({
      bool: {
        must_not: [{ bool: { should: [{ term: { [T]: 'a' } }, { term: { [T]: 'b' } }], minimum_should_match: 1 } }],
      },
    });
  });

  it('cuts a term longer than a piece as the index does: a phrase of its marked pieces, a prefix on the last', () => {
    const [a, b] = ['a'.repeat(PIECE), 'b'.repeat(PIECE)];
    expect(compile(`${a}${b}c`)).toEqual({
      match_phrase: {
        [T]: { query: `${a}${CONTINUES} ${CONTINUED}${b}${CONTINUES} ${CONTINUED}c`, analyzer: 'whitespace' },
      },
    });
    expect(compile(`${a}b*`)).toEqual({
      span_near: {
        clauses: [
          { span_term: { [T]: `${a}${CONTINUES}` } },
          { span_multi: { match: { prefix: { [T]: { value: `${CONTINUED}b` } } } } },
        ],
        slop: 0,
        in_order: true,
      },
    });
  });
});

describe('filters and visibility', () => {
  it('ORs the values of a filter and ANDs the filters and the time range (from inclusive, to exclusive)', () => {
    expect(
      filterClauses(
        { level: ['error', 'warn'], site: ['node01'], bundle: ['b1'], container: [], from: 'ignored' },
        { from: '2026-03-01T10:00:00.000000000Z', to: '2026-03-01T11:00:00.000000001Z' },
      ),
    ).toEqual([
      { terms: { 'host.name': ['node01'] } },
      { terms: { 'shiplog.bundle': ['b1'] } },
      { terms: { 'log.level': ['error', 'warn'] } },
      { range: { '@timestamp': { gte: '2026-03-01T10:00:00.000000000Z', lt: '2026-03-01T11:00:00.000000001Z' } } },
    ]);
    expect(filterClauses({}, {})).toEqual([]);
    expect(filterClauses({}, { to: '2026-03-01T10:00:00.000000000Z' })).toEqual([
      { range: { '@timestamp': { lt: '2026-03-01T10:00:00.000000000Z' } } },
    ]);
  });

  it('pairs each index with its own visible generations (generation numbers are per tenant)', () => {
    const acme = { tenant: 'acme', index: 'p-acme', gens: [1, 3] };
    const beta = { tenant: 'beta', index: 'p-beta', gens: [1] };
    expect(visibilityClause([acme])).toEqual({ terms: { 'shiplog_index.gen': [1, 3] } });
    expect(visibilityClause([acme, beta])).toEqual({
      bool: {
        should: [
          { bool: { filter: [{ term: { _index: 'p-acme' } }, { terms: { 'shiplog_index.gen': [1, 3] } }] } },
          { bool: { filter: [{ term: { _index: 'p-beta' } }, { terms: { 'shiplog_index.gen': [1] } }] } },
        ],
        minimum_should_match: 1,
      },
    });
  });

  it('always filters by visibility, adds the query unless it is everything, then the filters', () => {
    const target = { tenant: 'acme', index: 'p-acme', gens: [2] };
    expect(requestQuery(parseQuery(''), {}, {}, [target])).toEqual({
      bool: { filter: [{ terms: { 'shiplog_index.gen': [2] } }] },
    });
    expect(requestQuery(parseQuery('x'), { stream: ['stdout'] }, {}, [target])).toEqual({
      bool: {
        filter: [
          { terms: { 'shiplog_index.gen': [2] } },
          { term: { [T]: 'x' } },
          { terms: { 'log.stream': ['stdout'] } },
        ],
      },
    });
  });
});
