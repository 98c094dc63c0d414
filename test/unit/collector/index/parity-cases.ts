// The query semantics every index backend must share, as data: a fixed set
// of events (two bundles of tenant "acme", one of tenant "beta") and a table
// of searches with the hits each must return, in time order. The SQLite
// backend's tests run this table (search.test.ts); the Elasticsearch
// backend is held to the same table.
//
// Times use several offsets and nanosecond digits, so that "time order" is
// tested in UTC and to the nanosecond; no two events share a time, so the
// order does not depend on a backend's tie-breaker.
import type { IndexedEvent, SearchFilters } from '../../../../collector/index/types.ts';

interface Line {
  /** The message, unique in the fixture: cases name their hits by it. */
  readonly message: string;
  readonly time: string;
  readonly bundle: 'b1' | 'b2' | 'b3';
  readonly site?: string;
  readonly container?: string;
  readonly service?: string;
  readonly level?: string;
  readonly stream?: 'stdout' | 'stderr';
  readonly source: IndexedEvent['shiplog']['source'];
  readonly file: string;
  readonly line: number;
}

const lines: readonly Line[] = [
  // Bundle b1 of acme: containers on node01, syslog and the agent on node02.
  {
    message: 'connection refused by peer 10.0.0.1',
    time: '2026-03-01T10:00:00.000000001Z',
    bundle: 'b1',
    container: 'ledger',
    service: 'ledger',
    level: 'error',
    stream: 'stderr',
    source: 'container',
    file: 'containers/ledger/container.log',
    line: 1,
  },
  {
    message: 'Connection timeout after 30s',
    time: '2026-03-01T11:00:00.5+01:00',
    bundle: 'b1',
    container: 'ledger',
    service: 'ledger',
    level: 'warn',
    stream: 'stdout',
    source: 'container',
    file: 'containers/ledger/container.log',
    line: 2,
  },
  {
    message: 'user alice logged in',
    time: '2026-03-01T10:00:01Z',
    bundle: 'b1',
    container: 'payments',
    service: 'payments',
    level: 'info',
    stream: 'stdout',
    source: 'container',
    file: 'containers/payments/container.log',
    line: 1,
  },
  {
    message: 'user bob logged out',
    time: '2026-03-01T05:00:01.25-05:00',
    bundle: 'b1',
    container: 'payments',
    service: 'payments',
    level: 'info',
    stream: 'stdout',
    source: 'container',
    file: 'containers/payments/container.log',
    line: 2,
  },
  {
    message: 'payment settled id=4242',
    time: '2026-03-01T10:00:02.000000500Z',
    bundle: 'b1',
    container: 'payments',
    service: 'payments',
    level: 'info',
    stream: 'stdout',
    source: 'container',
    file: 'containers/payments/container.log',
    line: 4,
  },
  {
    message: 'payment failed: card declined',
    time: '2026-03-01T10:00:02.000000499Z',
    bundle: 'b1',
    container: 'payments',
    service: 'payments',
    level: 'error',
    stream: 'stderr',
    source: 'container',
    file: 'containers/payments/container.log',
    line: 3,
  },
  {
    message: 'GET /api/v2/accounts/42/statements 200',
    time: '2026-03-01T10:00:03Z',
    bundle: 'b1',
    container: 'gateway',
    service: 'gateway',
    level: 'info',
    stream: 'stdout',
    source: 'container',
    file: 'containers/gateway/container.log',
    line: 1,
  },
  {
    message: 'snake_case_value and dotted.name.here',
    time: '2026-03-01T10:00:04Z',
    bundle: 'b1',
    container: 'gateway',
    service: 'gateway',
    level: 'debug',
    stream: 'stdout',
    source: 'container',
    file: 'containers/gateway/container.log',
    line: 2,
  },
  {
    message: 'Ünïcödé café naïve',
    time: '2026-03-01T10:00:05Z',
    bundle: 'b1',
    site: 'node02',
    service: 'cron',
    level: 'notice',
    source: 'syslog',
    file: 'syslog/messages',
    line: 1,
  },
  {
    message: '日本語のログ message',
    time: '2026-03-01T19:00:06+09:00',
    bundle: 'b1',
    site: 'node02',
    source: 'syslog',
    file: 'syslog/messages',
    line: 2,
  },
  {
    message: '\u001b[31mERROR\u001b[0m disk full',
    time: '2026-03-01T10:00:07Z',
    bundle: 'b1',
    site: 'node02',
    level: 'error',
    source: 'syslog',
    file: 'syslog/messages',
    line: 3,
  },
  {
    message: 'emoji 🤔 thinking',
    time: '2026-03-01T10:00:08Z',
    bundle: 'b1',
    site: 'node02',
    service: 'shiplog-agent',
    level: 'info',
    source: 'agent',
    file: 'agent/shiplog.log',
    line: 1,
  },
  // Bundle b2 of acme: the same site a day's hour later in UTC order, partly interleaved with b1.
  {
    message: 'connection reset by peer',
    time: '2026-03-01T10:00:00.25Z',
    bundle: 'b2',
    container: 'ledger',
    service: 'ledger',
    level: 'error',
    stream: 'stderr',
    source: 'container',
    file: 'containers/ledger/container.log',
    line: 1,
  },
  {
    message: 'request completed in 5ms',
    time: '2026-03-01T10:00:09Z',
    bundle: 'b2',
    container: 'gateway',
    service: 'gateway',
    level: 'info',
    stream: 'stdout',
    source: 'container',
    file: 'containers/gateway/container.log',
    line: 1,
  },
  {
    message: 'AND or not: lower-case keywords are words',
    time: '2026-03-01T10:00:10Z',
    bundle: 'b2',
    container: 'gateway',
    service: 'gateway',
    stream: 'stdout',
    source: 'container',
    file: 'containers/gateway/container.log',
    line: 2,
  },
  // Bundle b3 of beta: never in acme's results.
  {
    message: 'connection refused by beta peer',
    time: '2026-03-01T10:00:00.75Z',
    bundle: 'b3',
    site: 'beta01',
    container: 'ledger',
    service: 'ledger',
    level: 'error',
    stream: 'stderr',
    source: 'container',
    file: 'containers/ledger/container.log',
    line: 1,
  },
];

function toEvent(line: Line): IndexedEvent {
  const tenant = line.bundle === 'b3' ? 'beta' : 'acme';
  return {
    '@timestamp': line.time,
    message: line.message,
    event: {
      dataset:
        line.source === 'container'
          ? 'docker.container_logs'
          : line.source === 'syslog'
            ? 'system.syslog'
            : 'shiplog.agent',
    },
    host: { name: line.site ?? 'node01' },
    ...(line.level || line.stream
      ? {
          log: {
            ...(line.level && { level: line.level }),
            ...(line.stream && { stream: line.stream }),
            file: { path: line.file, line: line.line },
          },
        }
      : { log: { file: { path: line.file, line: line.line } } }),
    ...(line.container && {
      container: {
        id: `${line.container}-0123456789abcdef`,
        name: line.container,
        image: { name: `vendor/${line.container}`, tag: '1.2' },
      },
    }),
    ...(line.service && { service: { name: line.service } }),
    shiplog: { tenant, bundle: line.bundle, source: line.source, file: line.file, line: line.line },
  };
}

/** The events, grouped by tenant and bundle, in the order a writer adds them. */
export const parityEvents: readonly IndexedEvent[] = lines.map(toEvent);

export interface ParityCase {
  readonly q: string;
  readonly filters?: SearchFilters;
  /** Messages of the hits for tenant acme, ascending time order. */
  readonly hits: readonly string[];
  readonly why: string;
}

const M = {
  refused: 'connection refused by peer 10.0.0.1',
  reset: 'connection reset by peer',
  timeout: 'Connection timeout after 30s',
  alice: 'user alice logged in',
  bob: 'user bob logged out',
  failed: 'payment failed: card declined',
  settled: 'payment settled id=4242',
  get: 'GET /api/v2/accounts/42/statements 200',
  snake: 'snake_case_value and dotted.name.here',
  unicode: 'Ünïcödé café naïve',
  cjk: '日本語のログ message',
  ansi: '\u001b[31mERROR\u001b[0m disk full',
  emoji: 'emoji 🤔 thinking',
  completed: 'request completed in 5ms',
  keywords: 'AND or not: lower-case keywords are words',
} as const;

/** All of acme's events in time order (UTC, to the nanosecond). */
const all = [
  M.refused,
  M.reset,
  M.timeout,
  M.alice,
  M.bob,
  M.failed,
  M.settled,
  M.get,
  M.snake,
  M.unicode,
  M.cjk,
  M.ansi,
  M.emoji,
  M.completed,
  M.keywords,
];
const except = (...out: string[]) => all.filter((message) => !out.includes(message));

export const parityCases: readonly ParityCase[] = [
  { q: '', hits: all, why: 'the empty query matches everything, in UTC time order across offsets' },
  { q: 'connection', hits: [M.refused, M.reset, M.timeout], why: 'a term matches case-insensitively' },
  { q: 'CONNECTION', hits: [M.refused, M.reset, M.timeout], why: 'query terms are folded too' },
  { q: 'conn*', hits: [M.refused, M.reset, M.timeout], why: 'a prefix' },
  { q: 'connect', hits: [], why: 'a term is a whole token, not a substring' },
  { q: '"refused by"', hits: [M.refused], why: 'a phrase' },
  { q: '"by peer"', hits: [M.refused, M.reset], why: 'a phrase in two bundles' },
  { q: '"peer by"', hits: [], why: 'a phrase keeps its order' },
  { q: '10.0.0.1', hits: [M.refused], why: 'an IP is a phrase of its numbers' },
  { q: '0.0.1', hits: [M.refused], why: 'part of an IP is a phrase too' },
  { q: 'user alice', hits: [M.alice], why: 'adjacency means AND' },
  { q: 'user AND alice', hits: [M.alice], why: 'AND' },
  { q: 'alice OR bob', hits: [M.alice, M.bob], why: 'OR' },
  { q: 'user NOT alice', hits: [M.bob], why: 'NOT' },
  { q: 'user -alice', hits: [M.bob], why: 'a leading minus is NOT' },
  { q: 'alice OR bob out', hits: [M.alice, M.bob], why: 'AND binds tighter than OR: alice OR (bob AND out)' },
  { q: '(alice OR bob) out', hits: [M.bob], why: 'parentheses' },
  { q: 'NOT user alice', hits: [], why: 'NOT binds tighter than AND: (NOT user) AND alice' },
  { q: 'NOT connection', hits: except(M.refused, M.reset, M.timeout), why: 'only NOT clauses: everything except' },
  { q: '-user -payment', hits: except(M.alice, M.bob, M.failed, M.settled), why: 'several NOTs alone' },
  { q: 'NOT (user OR payment)', hits: except(M.alice, M.bob, M.failed, M.settled), why: 'NOT of a group' },
  { q: 'alice OR NOT user', hits: except(M.bob), why: 'NOT inside OR' },
  { q: 'and', hits: [M.snake, M.keywords], why: 'lower-case keywords are terms' },
  { q: '"AND"', hits: [M.snake, M.keywords], why: 'a quoted keyword is a term' },
  { q: 'level:error', hits: [M.refused, M.reset, M.failed, M.ansi], why: 'a field value' },
  { q: 'level:Error', hits: [], why: 'field values are case-sensitive' },
  { q: 'level:err', hits: [], why: 'a field value matches whole' },
  { q: 'level:err*', hits: [M.refused, M.reset, M.failed, M.ansi], why: 'a field prefix' },
  { q: 'level:e*', hits: [M.refused, M.reset, M.failed, M.ansi], why: 'a field prefix with one letter' },
  { q: 'container:led*', hits: [M.refused, M.reset, M.timeout], why: 'a container prefix' },
  { q: 'container:ledger level:warn', hits: [M.timeout], why: 'two field clauses' },
  { q: 'site:node02', hits: [M.unicode, M.cjk, M.ansi, M.emoji], why: 'site is host.name' },
  { q: 'service:gateway', hits: [M.get, M.snake, M.completed, M.keywords], why: 'service.name' },
  { q: 'source:syslog', hits: [M.unicode, M.cjk, M.ansi], why: 'shiplog.source' },
  { q: 'file:"syslog/messages"', hits: [M.unicode, M.cjk, M.ansi], why: 'a quoted field value' },
  {
    q: 'file:containers/gateway/container.log',
    hits: [M.get, M.snake, M.completed, M.keywords],
    why: 'a value with slashes needs no quotes',
  },
  { q: 'stream:stderr', hits: [M.refused, M.reset, M.failed], why: 'log.stream' },
  { q: 'bundle:b2', hits: [M.reset, M.completed, M.keywords], why: 'a bundle' },
  { q: 'bundle:b*', hits: all, why: 'a bundle prefix' },
  { q: 'level:error -container:ledger', hits: [M.failed, M.ansi], why: 'a field clause minus another' },
  {
    q: 'NOT level:info',
    hits: except(M.alice, M.bob, M.settled, M.get, M.emoji, M.completed),
    why: 'NOT a field value includes events without the field',
  },
  {
    q: 'NOT stream:stdout',
    hits: except(M.timeout, M.alice, M.bob, M.settled, M.get, M.snake, M.completed, M.keywords),
    why: 'events without a stream are not stdout',
  },
  { q: 'peer OR level:warn', hits: [M.refused, M.reset, M.timeout], why: 'a term OR a field' },
  { q: 'container:nonexistent', hits: [], why: 'an unknown value matches nothing' },
  { q: 'NOT container:nonexistent', hits: all, why: 'NOT an unknown value matches everything' },
  { q: 'café', hits: [M.unicode], why: 'accents are kept' },
  { q: 'cafe', hits: [], why: 'accents are not removed' },
  { q: 'ÜNÏCÖDÉ', hits: [M.unicode], why: 'case folding beyond ASCII' },
  { q: '日本語のログ', hits: [M.cjk], why: 'a run of CJK is one token' },
  { q: '日本*', hits: [M.cjk], why: 'a CJK prefix' },
  { q: '日本', hits: [], why: 'CJK is not cut into words' },
  { q: 'error', hits: [], why: 'an ANSI escape glues its digits to the word: the token is 31merror' },
  { q: '31merror', hits: [M.ansi], why: 'the token an ANSI escape makes' },
  { q: 'disk full', hits: [M.ansi], why: 'text after an escape' },
  { q: '🤔', hits: [M.emoji], why: 'an emoji SQLite does not know is a token' },
  { q: 'snake_case_value', hits: [M.snake], why: 'snake_case is a phrase of its parts' },
  { q: 'case', hits: [M.snake, M.keywords], why: 'an underscore separates, and so does a hyphen' },
  { q: 'dotted.name', hits: [M.snake], why: 'dotted names are phrases' },
  { q: 'name.here', hits: [M.snake], why: 'part of a dotted name' },
  { q: '/api/v2/accounts', hits: [M.get], why: 'a path is a phrase' },
  { q: 'accounts/42', hits: [M.get], why: 'part of a path' },
  { q: 'id=4242', hits: [M.settled], why: 'key=value is a phrase' },
  { q: '4242', hits: [M.settled], why: 'a number is a token' },
  { q: 'v2*', hits: [M.get], why: 'a prefix that is a whole token' },
  {
    q: '"payment failed" OR "payment settled"',
    hits: [M.failed, M.settled],
    why: 'phrases under OR, ordered to the nanosecond',
  },
  { q: 'lower-case', hits: [M.keywords], why: 'a hyphen inside a word is not NOT' },
  { q: 'payment', filters: { level: ['error'] }, hits: [M.failed], why: 'a query and a filter' },
  {
    q: '',
    filters: { level: ['error', 'warn'] },
    hits: [M.refused, M.reset, M.timeout, M.failed, M.ansi],
    why: 'a filter with two values',
  },
  { q: '', filters: { container: ['payments'], stream: ['stderr'] }, hits: [M.failed], why: 'two filters AND' },
  { q: '', filters: { site: ['node02'], source: ['agent'] }, hits: [M.emoji], why: 'site and source filters' },
  { q: '', filters: { service: ['cron'] }, hits: [M.unicode], why: 'a service filter' },
  { q: '', filters: { bundle: ['b1'], level: ['error'] }, hits: [M.refused, M.failed, M.ansi], why: 'a bundle filter' },
  { q: '', filters: { level: [] }, hits: all, why: 'an empty filter list filters nothing' },
  {
    q: '',
    filters: { from: '2026-03-01T10:00:01Z', to: '2026-03-01T10:00:02.0000005Z' },
    hits: [M.alice, M.bob, M.failed],
    why: 'from is inclusive, to exclusive, to the nanosecond',
  },
  {
    q: 'user OR payment',
    filters: { from: '2026-03-01T05:00:01.25-05:00', to: '2026-03-01T11:00:03+01:00' },
    hits: [M.bob, M.failed, M.settled],
    why: 'bounds with offsets',
  },
  { q: '', filters: { from: '2026-03-01T10:00:11Z' }, hits: [], why: 'a range after everything' },
];

/** The query errors every backend reports the same way: query -> offset of the problem. */
export const parityErrors: readonly { readonly q: string; readonly at: number }[] = [
  { q: 'a OR', at: 2 },
  { q: '(a', at: 0 },
  { q: 'a)', at: 1 },
  { q: '"abc', at: 0 },
  { q: '*', at: 0 },
  { q: 'x:1', at: 0 },
  { q: '""', at: 0 },
];
