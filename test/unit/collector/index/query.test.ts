import { describe, expect, it } from 'vitest';
import { highlight, MAX_QUERY_DEPTH, parseQuery, type QueryNode } from '../../../../collector/index/query.ts';
import { QueryError } from '../../../../collector/index/types.ts';

const t = (...terms: string[]): QueryNode => ({ kind: 'text', terms, prefix: false });
const p = (...terms: string[]): QueryNode => ({ kind: 'text', terms, prefix: true });
const and = (...children: QueryNode[]): QueryNode => ({ kind: 'and', children });
const or = (...children: QueryNode[]): QueryNode => ({ kind: 'or', children });
const not = (child: QueryNode): QueryNode => ({ kind: 'not', child });
const field = (name: string, value: string, prefix = false): QueryNode =>
  ({ kind: 'field', field: name, value, prefix }) as QueryNode;

describe('parseQuery: valid queries', () => {
  const cases: [string, QueryNode][] = [
    ['', { kind: 'all' }],
    ['   \t ', { kind: 'all' }],
    ['timeout', t('timeout')],
    ['TimeOut', t('timeout')],
    ['a b', and(t('a'), t('b'))],
    ['a AND b', and(t('a'), t('b'))],
    ['a OR b', or(t('a'), t('b'))],
    ['a OR b c', or(t('a'), and(t('b'), t('c')))],
    ['a b OR c', or(and(t('a'), t('b')), t('c'))],
    ['(a OR b) c', and(or(t('a'), t('b')), t('c'))],
    ['NOT a', not(t('a'))],
    ['NOT a b', and(not(t('a')), t('b'))],
    ['NOT (a b)', not(and(t('a'), t('b')))],
    ['NOT NOT a', t('a')],
    ['-a', not(t('a'))],
    ['-a -b', and(not(t('a')), not(t('b')))],
    ['a -"b c"', and(t('a'), not(t('b', 'c')))],
    ['-(a OR b)', not(or(t('a'), t('b')))],
    ['-level:info', not(field('level', 'info'))],
    ['a-b', t('a', 'b')],
    ['(a)(b)', and(t('a'), t('b'))],
    ['a OR b OR c', or(t('a'), t('b'), t('c'))],
    ['((a))', t('a')],
    ['"connection refused"', t('connection', 'refused')],
    ['"Say \\"hi\\""', t('say', 'hi')],
    ['10.0.0.1', t('10', '0', '0', '1')],
    ['/var/log/syslog', t('var', 'log', 'syslog')],
    ['snake_case', t('snake', 'case')],
    ['conn*', p('conn')],
    ['user.na*', p('user', 'na')],
    ['café', t('café')],
    ['ΣΊΣΥΦΟΣ', t('σίσυφοσ')],
    ['and or not', and(t('and'), t('or'), t('not'))],
    ['"AND"', t('and')],
    ['level:error', field('level', 'error')],
    ['level:Error', field('level', 'Error')],
    ['container:ledger*', field('container', 'ledger', true)],
    ['file:"containers/a b/container.log"', field('file', 'containers/a b/container.log')],
    ['file:"a*"', field('file', 'a*')],
    ['site:a:b', field('site', 'a:b')],
    ['bundle:b1 level:warn', and(field('bundle', 'b1'), field('level', 'warn'))],
    ['stream:stderr OR service:x', or(field('stream', 'stderr'), field('service', 'x'))],
    ['source:syslog', field('source', 'syslog')],
    ['10:32:01', t('10', '32', '01')],
    ['::1', t('1')],
  ];
  it.each(cases)('%j', (q, expected) => {
    expect(parseQuery(q)).toEqual(expected);
  });
});

describe('parseQuery: malformed queries throw QueryError saying where', () => {
  const cases: [string, number, RegExp][] = [
    ['a OR', 2, /'OR' at 2 ends the query/],
    ['OR a', 0, /'OR' at 0 has nothing on its left/],
    ['a AND', 2, /'AND' at 2/],
    ['a AND OR b', 2, /'AND' at 2 is followed by 'OR'/],
    ['NOT', 0, /'NOT' at 0 ends the query/],
    ['a NOT', 2, /'NOT' at 2/],
    ['(a', 0, /unbalanced '\(' at 0/],
    ['((a)', 0, /unbalanced '\(' at 0/],
    ['a)', 1, /unbalanced '\)' at 1/],
    ['(a))', 3, /unbalanced '\)' at 3/],
    ['()', 0, /empty parentheses at 0/],
    ['(a OR)', 3, /'OR' at 3 is followed by '\)'/],
    ['"abc', 0, /unbalanced quote at 0/],
    ['a "b', 2, /unbalanced quote at 2/],
    ['""', 0, /empty phrase at 0/],
    ['"?!"', 0, /empty phrase at 0/],
    ['*', 0, /'\*' alone at 0/],
    ['a *', 2, /'\*' alone at 2/],
    ['a*b', 1, /'\*' at 1 may only end a term/],
    ['a.*', 2, /'\*' at 2 must follow a letter or digit/],
    ['"ab"*', 4, /cannot follow a quoted phrase/],
    ['->', 1, /">" at 1 has no letters or digits/],
    ['a - b', 2, /'-' at 2 is not followed by a term/],
    ['colour:red', 0, /unknown field "colour" at 0/],
    ['Level:error', 0, /unknown field "Level"/],
    ['http://example.com', 0, /unknown field "http"/],
    ['level:', 0, /'level:' at 0 has no value/],
    ['x level:', 2, /'level:' at 2 has no value/],
    ['level:*', 6, /'\*' alone after 'level:' at 6/],
    ['level:a*b', 7, /'\*' at 7 may only end a value/],
    ['level:""', 6, /empty value in quotes/],
    ['level:"x', 6, /unbalanced quote at 6/],
    ['x'.repeat(4097), 4096, /at most 4096/],
    [`${'('.repeat(MAX_QUERY_DEPTH + 1)}a${')'.repeat(MAX_QUERY_DEPTH + 1)}`, MAX_QUERY_DEPTH, /deeper than 32/],
    [`${'NOT '.repeat(MAX_QUERY_DEPTH + 1)}a`, 4 * MAX_QUERY_DEPTH, /deeper than 32/],
  ];
  it.each(
    cases.map(
      ([q, at, message]) =>
        [q.length > 60 ? `${q.slice(0, 20)}... (${q.length} characters)` : q, q, at, message] as const,
    ),
  )('%j', (_label, q, at, message) => {
    let error: unknown;
    try {
      parseQuery(q);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).at).toBe(at);
    expect((error as QueryError).message).toMatch(message);
  });

  it('accepts exactly 4096 characters and 32 levels', () => {
    expect(parseQuery('x'.repeat(4096))).toEqual(t('x'.repeat(4096)));
    expect(parseQuery(`${'('.repeat(MAX_QUERY_DEPTH)}a${')'.repeat(MAX_QUERY_DEPTH)}`)).toEqual(t('a'));
  });

  it('never throws anything but QueryError, whatever the input', () => {
    const alphabet = [
      'a',
      'B',
      ' ',
      '(',
      ')',
      '"',
      '\\',
      '*',
      '-',
      ':',
      'AND',
      'OR',
      'NOT',
      'level',
      'é',
      '🤔',
      '.',
      '\u0000',
    ];
    let seed = 1;
    for (let n = 0; n < 3000; n++) {
      let q = '';
      const length = n % 12;
      for (let i = 0; i < length; i++) {
        seed = (seed * 16807) % 2147483647;
        q += alphabet[seed % alphabet.length];
      }
      try {
        parseQuery(q);
      } catch (error) {
        expect(error, JSON.stringify(q)).toBeInstanceOf(QueryError);
        expect((error as QueryError).at).toBeGreaterThanOrEqual(0);
        expect((error as QueryError).at).toBeLessThanOrEqual(Math.max(q.length, 4096));
      }
    }
  });
});

describe('highlight', () => {
  const cases: [string, string, string[]][] = [
    ['timeout', 'Connection timeout after 30s; TIMEOUT again', ['timeout', 'TIMEOUT']],
    ['conn*', 'Connection reset; connect failed; reconnect', ['Connection', 'connect']],
    ['"refused by"', 'connection refused by peer, refused twice', ['refused by']],
    ['10.0.0.1', 'from 10.0.0.1 to 10.0.0.12', ['10.0.0.1']],
    ['10.0.0.1*', 'from 10.0.0.1 to 10.0.0.12', ['10.0.0.1', '10.0.0.12']],
    ['a NOT b', 'a b a', ['a', 'a']],
    ['-error warn', 'error and warn', ['warn']],
    ['NOT (x OR y) z', 'x y z', ['z']],
    ['level:error', 'error', []],
    ['', 'anything', []],
    ['café', 'Café CAFÉ cafe', ['Café', 'CAFÉ']],
    ['ΣΊΣΥΦΟΣ', 'ο σίσυφος', ['σίσυφος']],
    ['🤔', 'emoji 🤔 x', ['🤔']],
    ['"by peer" peer', 'by peer', ['by peer']],
    ['user.name', 'user.name=alice user name', ['user.name', 'user name']],
  ];
  it.each(cases)('%j in %j', (q, message, expected) => {
    const ranges = highlight(parseQuery(q), message);
    expect(ranges.map(([start, end]) => message.slice(start, end))).toEqual(expected);
    for (let i = 1; i < ranges.length; i++) {
      expect((ranges[i] as [number, number])[0]).toBeGreaterThan((ranges[i - 1] as [number, number])[1]);
    }
  });
});
