// The collector's query language, parsed into a small AST that both index
// backends compile (SQLite into an FTS5 MATCH expression, Elasticsearch into
// its query DSL), and the highlighter that marks what a query matched in a
// message. Pure: no SQL, no I/O.
//
//   timeout                    a term (cut with the token rule of terms.ts)
//   "connection refused"       a phrase: its terms next to each other, in order
//   10.0.0.1  user.name        a word that cuts into several terms is a phrase too
//   conn*                      a prefix: the last term only has to start so
//   level:error  file:"a b"    an exact, case-sensitive match on a filter field
//   container:ledger*          a prefix match on a filter field
//   a AND b   a b              both (adjacency means AND)
//   a OR b                     either
//   NOT a   -a                 not (a leading minus on a word)
//   ( ... )                    grouping; NOT binds tighter than AND, AND than OR
//
// Keywords are upper case only; "and" is a term. A query of NOT clauses only
// means everything except them; an empty query matches everything.
// Malformed input throws QueryError with the character offset of the
// problem, and nothing else is ever thrown.

import { isTokenCodePoint, tokenize } from './terms.ts';
import { type FilterField, filterFields, QueryError } from './types.ts';

export type QueryNode =
  /** The empty query: every event. */
  | { readonly kind: 'all' }
  /**
   * Terms that must appear next to each other, in this order (one term for a
   * plain word). With `prefix`, the last term only has to start with its text.
   */
  | { readonly kind: 'text'; readonly terms: readonly string[]; readonly prefix: boolean }
  /** An exact (case-sensitive) value of a filter field, or with `prefix` its start. */
  | { readonly kind: 'field'; readonly field: FilterField; readonly value: string; readonly prefix: boolean }
  | { readonly kind: 'and'; readonly children: readonly QueryNode[] }
  | { readonly kind: 'or'; readonly children: readonly QueryNode[] }
  | { readonly kind: 'not'; readonly child: QueryNode };

export const MAX_QUERY_LENGTH = 4096;
export const MAX_QUERY_DEPTH = 32;

type Lexeme =
  | { readonly type: 'and' | 'or' | 'not' | 'minus' | 'open' | 'close'; readonly at: number }
  | { readonly type: 'leaf'; readonly node: QueryNode; readonly at: number };

const fieldNames: ReadonlySet<string> = new Set(filterFields);
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** Parses `q` into an AST; throws QueryError (with `at`) when it is malformed. */
export function parseQuery(q: string): QueryNode {
  if (typeof q !== 'string') throw new QueryError('the query must be a string', 0);
  if (q.length > MAX_QUERY_LENGTH) {
    throw new QueryError(
      `the query is ${q.length} characters long; at most ${MAX_QUERY_LENGTH} are allowed (at ${MAX_QUERY_LENGTH})`,
      MAX_QUERY_LENGTH,
    );
  }
  const lexemes = lex(q);
  if (lexemes.length === 0) return { kind: 'all' };
  const parser = new Parser(lexemes, q.length);
  const node = parser.parseOr(0);
  const rest = parser.peek();
  if (rest) {
    // parseOr stops only at a ')' it cannot match.
    throw new QueryError(`unbalanced ')' at ${rest.at}: there is no '(' before it`, rest.at);
  }
  return simplify(node);
}

class Parser {
  private next = 0;
  private readonly lexemes: readonly Lexeme[];
  private readonly end: number;
  constructor(lexemes: readonly Lexeme[], end: number) {
    this.lexemes = lexemes;
    this.end = end;
  }

  peek(): Lexeme | undefined {
    return this.lexemes[this.next];
  }

  parseOr(depth: number): QueryNode {
    const children = [this.parseAnd(depth)];
    for (let lexeme = this.peek(); lexeme?.type === 'or'; lexeme = this.peek()) {
      this.next++;
      this.expectOperand(lexeme, 'OR');
      children.push(this.parseAnd(depth));
    }
    return children.length === 1 ? (children[0] as QueryNode) : { kind: 'or', children };
  }

  private parseAnd(depth: number): QueryNode {
    const children = [this.parseUnary(depth)];
    for (let lexeme = this.peek(); lexeme; lexeme = this.peek()) {
      if (lexeme.type === 'and') {
        this.next++;
        this.expectOperand(lexeme, 'AND');
      } else if (!startsOperand(lexeme)) {
        break;
      }
      children.push(this.parseUnary(depth));
    }
    return children.length === 1 ? (children[0] as QueryNode) : { kind: 'and', children };
  }

  private parseUnary(depth: number): QueryNode {
    const lexeme = this.peek();
    if (lexeme && (lexeme.type === 'not' || lexeme.type === 'minus')) {
      this.next++;
      this.checkDepth(depth + 1, lexeme.at);
      this.expectOperand(lexeme, lexeme.type === 'not' ? 'NOT' : '-');
      return { kind: 'not', child: this.parseUnary(depth + 1) };
    }
    return this.parsePrimary(depth);
  }

  private parsePrimary(depth: number): QueryNode {
    const lexeme = this.peek();
    if (!lexeme) throw new QueryError(`the query ends where a term was expected (at ${this.end})`, this.end);
    switch (lexeme.type) {
      case 'leaf':
        this.next++;
        return lexeme.node;
      case 'open': {
        this.next++;
        this.checkDepth(depth + 1, lexeme.at);
        const inner = this.peek();
        if (inner?.type === 'close') throw new QueryError(`empty parentheses at ${lexeme.at}`, lexeme.at);
        if (!inner) throw new QueryError(`unbalanced '(' at ${lexeme.at}: it is never closed`, lexeme.at);
        const node = this.parseOr(depth + 1);
        const close = this.peek();
        if (close?.type !== 'close') {
          throw new QueryError(`unbalanced '(' at ${lexeme.at}: it is never closed`, lexeme.at);
        }
        this.next++;
        return node;
      }
      case 'close':
        throw new QueryError(`unbalanced ')' at ${lexeme.at}: there is no '(' before it`, lexeme.at);
      default:
        throw new QueryError(
          `'${lexeme.type.toUpperCase()}' at ${lexeme.at} has nothing on its left; put a term before it`,
          lexeme.at,
        );
    }
  }

  /** After an operator, a term (or group, or negation) must follow. */
  private expectOperand(operator: Lexeme, name: string): void {
    const following = this.peek();
    if (following && startsOperand(following)) return;
    const where = following
      ? `is followed by '${following.type === 'close' ? ')' : following.type.toUpperCase()}'`
      : 'ends the query';
    throw new QueryError(`'${name}' at ${operator.at} ${where}; put a term after it`, operator.at);
  }

  private checkDepth(depth: number, at: number): void {
    if (depth > MAX_QUERY_DEPTH) {
      throw new QueryError(`the query nests deeper than ${MAX_QUERY_DEPTH} levels (at ${at})`, at);
    }
  }
}

function startsOperand(lexeme: Lexeme): boolean {
  return lexeme.type === 'leaf' || lexeme.type === 'open' || lexeme.type === 'not' || lexeme.type === 'minus';
}

/** Cuts the query into operators, parentheses and leaves (terms, phrases, field clauses). */
function lex(q: string): Lexeme[] {
  const out: Lexeme[] = [];
  const length = q.length;
  let i = 0;
  while (i < length) {
    const c = q[i] as string;
    if (isSpace(c)) {
      i++;
    } else if (c === '(') {
      out.push({ type: 'open', at: i++ });
    } else if (c === ')') {
      out.push({ type: 'close', at: i++ });
    } else if (c === '"') {
      const { text, end } = readQuoted(q, i);
      rejectStarAfterPhrase(q, end);
      out.push({ type: 'leaf', node: textNode(text, false, i, 'phrase'), at: i });
      i = end;
    } else if (c === '-' && i + 1 < length && !isSpace(q[i + 1] as string) && q[i + 1] !== ')') {
      out.push({ type: 'minus', at: i++ });
    } else {
      let end = i;
      while (end < length && !isSpace(q[end] as string) && q[end] !== '(' && q[end] !== ')' && q[end] !== '"') end++;
      const word = q.slice(i, end);
      if (word === 'AND' || word === 'OR' || word === 'NOT') {
        out.push({ type: word === 'AND' ? 'and' : word === 'OR' ? 'or' : 'not', at: i });
      } else if (word === '-') {
        throw new QueryError(`'-' at ${i} is not followed by a term; write -term (no space) to exclude it`, i);
      } else {
        const colon = word.indexOf(':');
        if (colon > 0 && FIELD_NAME.test(word.slice(0, colon))) {
          const { node, next } = fieldClause(q, i, word.slice(0, colon), end, colon);
          out.push({ type: 'leaf', node, at: i });
          end = next;
        } else {
          out.push({ type: 'leaf', node: wordNode(word, i), at: i });
        }
      }
      i = end;
    }
  }
  return out;
}

function fieldClause(
  q: string,
  start: number,
  name: string,
  wordEnd: number,
  colon: number,
): { node: QueryNode; next: number } {
  if (!fieldNames.has(name)) {
    throw new QueryError(
      `unknown field "${name}" at ${start}: the fields are ${filterFields.join(', ')}; to search for text with a colon, put it in quotes`,
      start,
    );
  }
  const field = name as FilterField;
  const valueAt = start + colon + 1;
  if (valueAt === wordEnd) {
    if (q[valueAt] === '"') {
      const { text, end } = readQuoted(q, valueAt);
      rejectStarAfterPhrase(q, end);
      if (text === '') throw new QueryError(`empty value in quotes after '${name}:' at ${valueAt}`, valueAt);
      return { node: { kind: 'field', field, value: text, prefix: false }, next: end };
    }
    throw new QueryError(`'${name}:' at ${start} has no value; write ${name}:value or ${name}:"a value"`, start);
  }
  const raw = q.slice(valueAt, wordEnd);
  const prefix = raw.endsWith('*');
  const value = prefix ? raw.slice(0, -1) : raw;
  if (value === '')
    throw new QueryError(`'*' alone after '${name}:' at ${valueAt} matches nothing; write ${name}:abc*`, valueAt);
  const star = value.indexOf('*');
  if (star >= 0) {
    throw new QueryError(
      `'*' at ${valueAt + star} may only end a value; put the value in quotes to match a '*'`,
      valueAt + star,
    );
  }
  return { node: { kind: 'field', field, value, prefix }, next: wordEnd };
}

function wordNode(word: string, at: number): QueryNode {
  const prefix = word.endsWith('*');
  const body = prefix ? word.slice(0, -1) : word;
  if (body === '')
    throw new QueryError(`'*' alone at ${at} matches nothing; put it at the end of a term, as in conn*`, at);
  const star = body.indexOf('*');
  if (star >= 0) {
    throw new QueryError(`'*' at ${at + star} may only end a term; put the term in quotes to search for it`, at + star);
  }
  if (prefix && !isTokenCodePoint([...body].at(-1)?.codePointAt(0) ?? 0)) {
    throw new QueryError(`'*' at ${at + body.length} must follow a letter or digit, as in conn*`, at + body.length);
  }
  return textNode(body, prefix, at, 'term');
}

function textNode(text: string, prefix: boolean, at: number, what: 'term' | 'phrase'): QueryNode {
  const terms = tokenize(text).map((token) => token.term);
  if (terms.length === 0) {
    throw new QueryError(
      what === 'phrase'
        ? `empty phrase at ${at}: it has no letters or digits to search for`
        : `"${text}" at ${at} has no letters or digits to search for; put it in quotes only with words`,
      at,
    );
  }
  return { kind: 'text', terms, prefix };
}

/** Reads a "quoted" string starting at the quote; \" and \\ are escapes. */
function readQuoted(q: string, open: number): { text: string; end: number } {
  let text = '';
  for (let i = open + 1; i < q.length; i++) {
    const c = q[i] as string;
    if (c === '\\' && (q[i + 1] === '"' || q[i + 1] === '\\')) {
      text += q[i + 1];
      i++;
    } else if (c === '"') {
      return { text, end: i + 1 };
    } else {
      text += c;
    }
  }
  throw new QueryError(`unbalanced quote at ${open}: the phrase is never closed`, open);
}

function rejectStarAfterPhrase(q: string, end: number): void {
  if (q[end] === '*') {
    throw new QueryError(`'*' at ${end} cannot follow a quoted phrase; only a term can end in '*', as in conn*`, end);
  }
}

function isSpace(c: string): boolean {
  return /\s/u.test(c);
}

/** Flattens nested AND/OR and removes double negation; the meaning is unchanged. */
function simplify(node: QueryNode): QueryNode {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const children: QueryNode[] = [];
      for (const child of node.children.map(simplify)) {
        if (child.kind === node.kind) children.push(...child.children);
        else children.push(child);
      }
      return children.length === 1 ? (children[0] as QueryNode) : { kind: node.kind, children };
    }
    case 'not': {
      const child = simplify(node.child);
      return child.kind === 'not' ? child.child : { kind: 'not', child };
    }
    default:
      return node;
  }
}

/** The text leaves a match may contain (those not under an odd number of NOTs). */
export function positiveTexts(node: QueryNode): { terms: readonly string[]; prefix: boolean }[] {
  const out: { terms: readonly string[]; prefix: boolean }[] = [];
  const walk = (n: QueryNode, negated: boolean) => {
    switch (n.kind) {
      case 'text':
        if (!negated) out.push({ terms: n.terms, prefix: n.prefix });
        break;
      case 'and':
      case 'or':
        for (const child of n.children) walk(child, negated);
        break;
      case 'not':
        walk(n.child, !negated);
        break;
      default:
        break;
    }
  };
  walk(node, false);
  return out;
}

/**
 * The [start, end) ranges (UTF-16 offsets, sorted, overlaps merged) of the
 * query's positive terms, prefixes and phrases in `message`, matched with
 * the same token rule as the index.
 */
export function highlight(node: QueryNode, message: string): [number, number][] {
  const wanted = positiveTexts(node);
  if (wanted.length === 0) return [];
  const tokens = tokenize(message);
  const ranges: [number, number][] = [];
  for (const { terms, prefix } of wanted) {
    const last = terms.length - 1;
    for (let i = 0; i + last < tokens.length; i++) {
      let matched = true;
      for (let j = 0; j <= last && matched; j++) {
        const token = (tokens[i + j] as { term: string }).term;
        const term = terms[j] as string;
        matched = j === last && prefix ? token.startsWith(term) : token === term;
      }
      if (matched) ranges.push([(tokens[i] as { start: number }).start, (tokens[i + last] as { end: number }).end]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const previous = merged[merged.length - 1];
    if (previous && range[0] <= previous[1]) previous[1] = Math.max(previous[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}
