// The redaction engine: finds what to replace in a chunk of complete lines,
// settles overlaps, and writes masks or pseudonyms. Lines are handled one by
// one (nothing ever spans a line, except the declared multi-line blocks such
// as a PEM key), and a line that no prefilter hits is never looked at again.
//
// A block, once open, fails closed: it runs to its end line, to the next
// start of a block of its rule, or to the end of the input, however long,
// and every line in it is masked (the body's value on a line shaped like
// the body, the whole line otherwise). Blocks opened and not ended are
// counted in the tally, so a report can say that a block was cut.
//
// Text arrives in one of two forms: JavaScript text, or raw bytes read as
// latin1 ("binary"), one character per byte. The second form makes invalid
// UTF-8 and NUL bytes harmless: every byte survives as it was, and nothing
// can hide a secret by breaking the decoder.

import type { CompiledBlock, CompiledRule, CompiledRuleSet, Prefilter } from './compile.ts';
import { escapeRegExp } from './compile.ts';
import { buildKeywordScanner, type KeywordScanner } from './keywords.ts';
import { literalPatternForms } from './literals.ts';
import type { Pseudonymizer } from './pseudonym.ts';
import { blockEnded, blockOpened, count, type Tally } from './tally.ts';

/** State carried from one line to the next (an open PEM block). One per stream. */
export interface LineState {
  block: { rule: CompiledRule } | undefined;
}

export function newLineState(): LineState {
  return { block: undefined };
}

export interface Span {
  start: number;
  end: number;
  rule: CompiledRule;
}

/** Called for every line that has something to replace; offsets are within `text`. */
export type LineVisitor = (lineStart: number, contentEnd: number, line: string, spans: readonly Span[]) => void;

export const literalRuleId = 'runtime-literal';
const literalsPerPrefilter = 8;
/** Marks pack a line start and a trigger id: start * triggerSlots + trigger. */
const triggerSlots = 65536;
/**
 * Inside a block, the text before its end marker (or before the next start)
 * on the same line is masked whole when it holds a run of this many base64
 * characters: key material, not a log prefix ("Mar 14 10:11:12 node04 app[42]: ").
 */
const keyRunChars = 16;
const keyRun = new RegExp(`[A-Za-z0-9+/=]{${keyRunChars}}`);

export interface Engine {
  readonly ruleSet: CompiledRuleSet;
  /** Replaces the set of runtime literal values. */
  setLiterals(values: Iterable<string>): void;
  /**
   * Redacts the lines of `text`; returns undefined when nothing changed.
   * `bytes`: the same text as bytes, when `text` is their latin1 reading (faster keyword scan).
   */
  redactChunk(text: string, binary: boolean, state: LineState, tally: Tally, bytes?: Uint8Array): string | undefined;
  /**
   * Visits what would be replaced, changing nothing. `blocks`: a tally that
   * counts the blocks opened and ended (the visitor counts the findings).
   */
  scanChunk(
    text: string,
    binary: boolean,
    state: LineState,
    visit: LineVisitor,
    bytes?: Uint8Array,
    blocks?: Tally,
  ): void;
  /** The replacement text for one value found by `rule`. */
  replacement(rule: CompiledRule, value: string, binary: boolean): string;
  /** The rule whose field pattern names this JSON key as secret, if any. */
  fieldRule(key: string): CompiledRule | undefined;
  /** True when the keep-list leaves this value alone for this rule. */
  isKept(value: string, rule: CompiledRule): boolean;
}

export function createEngine(ruleSet: CompiledRuleSet, pseudonyms: () => Pseudonymizer): Engine {
  let prefilters: readonly Prefilter[] = ruleSet.prefilters;
  let triggers: readonly (readonly CompiledRule[])[] = ruleSet.triggers;
  let lineSerial = 0;
  let markBuffer = new Float64Array(1024);

  // Keywords and literal forms share one automaton; index >= keywordCount is a literal.
  const keywordCount = ruleSet.keywords?.keywords.length ?? 0;
  let scanner: KeywordScanner | undefined = ruleSet.keywords;
  let literalTrigger = -1;

  const setLiterals = (values: Iterable<string>): void => {
    const forms = literalPatternForms(values);
    prefilters = ruleSet.prefilters;
    triggers = ruleSet.triggers;
    scanner = ruleSet.keywords;
    if (forms.length === 0) return;
    const rule: CompiledRule = {
      id: literalRuleId,
      category: 'secret',
      action: 'mask',
      shape: 'token',
      regex: new RegExp(forms.map(escapeRegExp).join('|'), 'gd'),
      group: undefined,
      check: undefined,
      keywords: [],
      field: undefined,
      block: undefined,
      keep: ruleSet.keepAlways,
      priority: 1,
      order: Number.MAX_SAFE_INTEGER,
      seenLine: -1,
    };
    literalTrigger = triggers.length;
    triggers = [...triggers, [rule]];
    // The automaton reads bytes: forms with characters above 0xff (JavaScript
    // text of a non-latin1 value) get a regex prefilter of their own.
    const isWide = (form: string) => /[\u0100-\uffff]/.test(form);
    const wide = forms.filter(isWide);
    const narrow = forms.filter((form) => !isWide(form));
    scanner = buildKeywordScanner([...(ruleSet.keywords?.keywords ?? []), ...narrow]);
    const extra: Prefilter[] = [];
    for (let i = 0; i < wide.length; i += literalsPerPrefilter) {
      const group = wide.slice(i, i + literalsPerPrefilter).map(escapeRegExp);
      extra.push({ regex: new RegExp(group.join('|'), 'g'), trigger: literalTrigger });
    }
    prefilters = [...ruleSet.prefilters, ...extra];
  };

  const isKept = (value: string, rule: CompiledRule): boolean => {
    for (const keep of rule.keep) if (keep.test(value)) return true;
    return false;
  };

  /** Appends the rule's findings in `line`; returns a block rule to open, if any. */
  const runRule = (rule: CompiledRule, line: string, out: Span[]): CompiledRule | undefined => {
    const regex = rule.regex;
    if (!regex) return undefined;
    let opens: CompiledRule | undefined;
    regex.lastIndex = 0;
    for (let match = regex.exec(line); match !== null; match = regex.exec(line)) {
      if (match[0].length === 0) {
        regex.lastIndex++;
        continue;
      }
      let start = match.index;
      let end = start + match[0].length;
      if (rule.group === undefined) {
        // A group captured in a lookbehind (the local part of an e-mail) belongs to the finding.
        const groups = match.indices?.groups;
        if (groups) for (const name in groups) start = Math.min(start, groups[name]?.[0] ?? start);
      } else {
        const indices =
          typeof rule.group === 'number' ? match.indices?.[rule.group] : match.indices?.groups?.[rule.group];
        if (!indices) continue;
        [start, end] = indices;
      }
      // A block (PEM key) whose end is not on this line goes on over the next lines.
      const opensBlock = rule.block !== undefined && !rule.block.end.test(line.slice(match.index));
      if (start === end) {
        if (opensBlock && end === line.length) {
          opens = rule;
          break;
        }
        continue;
      }
      const value = line.slice(start, end);
      if (rule.check && !rule.check(value)) continue;
      if (isKept(value, rule)) continue;
      if (opensBlock) {
        out.push({ start, end: line.length, rule });
        opens = rule;
        break;
      }
      out.push({ start, end, rule });
    }
    return opens;
  };

  /**
   * A line wholly inside an open block: the body's value (after a log prefix
   * that holds nothing key-like), or else the whole line unless it is a
   * line masked already.
   */
  const insideLine = (line: string, rule: CompiledRule, block: CompiledBlock): Span | undefined => {
    if (block.body.test(line)) {
      const span = bodySpan(block.body, line, rule);
      if (!span || !keyRun.test(line.slice(0, span.start))) return span;
    } else if (endsMasked(line, rule)) {
      return undefined;
    }
    return { start: 0, end: line.length, rule };
  };

  /** The start of a line before the block's end (or the next start): the body's value, or all of it if key-like. */
  const insideHead = (head: string, rule: CompiledRule, block: CompiledBlock): Span | undefined => {
    if (head === '') return undefined;
    if (block.body.test(head)) return bodySpan(block.body, head, rule);
    return keyRun.test(head) && !endsMasked(head, rule) ? { start: 0, end: head.length, rule } : undefined;
  };

  /**
   * True when the text ends in a bracketed value the keep-list protects (a
   * mask this engine wrote, `[REDACTED:private-key]`), after a space, a colon
   * or nothing: a line masked once is left as it is, so redacting twice
   * changes nothing and the release check finds nothing in it.
   */
  const endsMasked = (text: string, rule: CompiledRule): boolean => {
    const trimmed = text.trimEnd();
    if (!trimmed.endsWith(']')) return false;
    for (let at = trimmed.lastIndexOf('['); at >= 0; at = trimmed.lastIndexOf('[', at - 1)) {
      const before = at === 0 ? ' ' : (trimmed[at - 1] as string);
      if ((before === ':' || /\s/.test(before)) && isKept(trimmed.slice(at), rule)) return true;
      if (/\s/.test(before)) return false;
    }
    return false;
  };

  /** Where the next start of a block of `rule` is on the line, or -1. */
  const blockStart = (rule: CompiledRule, line: string): number => {
    const regex = rule.regex;
    if (!regex) return -1;
    regex.lastIndex = 0;
    const match = regex.exec(line);
    regex.lastIndex = 0;
    return match ? match.index : -1;
  };

  const lineSpans = (line: string, fired: readonly number[], state: LineState, tally?: Tally): Span[] => {
    const serial = ++lineSerial;
    const spans: Span[] = [];
    const open = state.block;
    if (open?.rule.block) {
      const block = open.rule.block;
      const rule = open.rule;
      const end = block.end.exec(line);
      const restart = blockStart(rule, line);
      if (restart >= 0 && (!end || restart < end.index)) {
        // A new start with no end before it: this block was cut. Mask up to
        // the new start; the line's own rules then open the next block.
        state.block = undefined;
        const head = insideHead(line.slice(0, restart), rule, block);
        if (head) spans.push(head);
      } else if (end) {
        // The closing line: mask what is left of the body before the end marker.
        state.block = undefined;
        if (tally) blockEnded(tally, rule);
        const head = insideHead(line.slice(0, end.index), rule, block);
        if (head) spans.push(head);
      } else {
        const span = insideLine(line, rule, block);
        return span ? [span] : [];
      }
    }
    let opens: CompiledRule | undefined;
    const consider = (rule: CompiledRule) => {
      if (rule.seenLine === serial) return;
      rule.seenLine = serial;
      opens = runRule(rule, line, spans) ?? opens;
    };
    for (const trigger of fired) for (const rule of triggers[trigger] ?? []) consider(rule);
    for (const rule of ruleSet.everyLine) consider(rule);
    const opening = opens && spans.find((span) => span.rule === opens);
    const accepted = settle(spans);
    if (opens && (!opening || accepted.includes(opening))) {
      state.block = { rule: opens };
      if (tally) blockOpened(tally, opens);
    }
    return accepted;
  };

  const walk = (text: string, state: LineState, visit: LineVisitor, bytes?: Uint8Array, tally?: Tally): void => {
    // 1. Prefilters over the whole chunk: which lines need a closer look, and
    // why. Each mark packs (line start, trigger) into one number.
    let marks = markBuffer;
    let markCount = 0;
    const mark = (value: number) => {
      if (markCount === marks.length) {
        const bigger = new Float64Array(marks.length * 2);
        bigger.set(marks);
        marks = bigger;
        markBuffer = bigger;
      }
      marks[markCount++] = value;
    };
    for (const prefilter of prefilters) {
      const regex = prefilter.regex;
      if (prefilter.perLine) {
        for (let lineStart = 0; lineStart < text.length; ) {
          let lineEnd = text.indexOf('\n', lineStart);
          if (lineEnd < 0) lineEnd = text.length;
          const contentEnd = lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
          regex.lastIndex = 0;
          if (regex.test(text.slice(lineStart, contentEnd))) mark(lineStart * triggerSlots + prefilter.trigger);
          lineStart = lineEnd + 1;
        }
        continue;
      }
      regex.lastIndex = 0;
      // test(), not exec(): no match object per hit. A prefilter match never
      // spans a line break, so its last character tells the line.
      while (regex.test(text)) {
        const last = Math.max(0, regex.lastIndex - 1);
        let lineEnd = text.indexOf('\n', last);
        if (lineEnd < 0) lineEnd = text.length;
        mark((text.lastIndexOf('\n', last - 1) + 1) * triggerSlots + prefilter.trigger);
        regex.lastIndex = lineEnd + 1;
      }
    }
    for (const gate of ruleSet.prefilterGates) {
      // The gate matches where a member does; the members then look at that line alone.
      const regex = gate.regex;
      regex.lastIndex = 0;
      while (regex.test(text)) {
        const last = Math.max(0, regex.lastIndex - 1);
        let lineEnd = text.indexOf('\n', last);
        if (lineEnd < 0) lineEnd = text.length;
        const lineStart = text.lastIndexOf('\n', last - 1) + 1;
        const line = text.slice(lineStart, lineEnd);
        for (const member of gate.members) if (member.regex.test(line)) mark(lineStart * triggerSlots + member.trigger);
        regex.lastIndex = lineEnd + 1;
      }
    }
    if (scanner) {
      const base = ruleSet.keywordTrigger;
      let lineStart = -1;
      let lineEnd = -1;
      scanner.scan(bytes ?? text, (at, keyword) => {
        if (at >= lineEnd || at < lineStart) {
          lineStart = text.lastIndexOf('\n', at) + 1;
          lineEnd = text.indexOf('\n', at);
          if (lineEnd < 0) lineEnd = text.length;
        }
        mark(lineStart * triggerSlots + (keyword < keywordCount ? base + keyword : literalTrigger));
      });
    }
    // 2. The dirty lines in order (every line while a block is open, or when
    // some rule has no prefilter at all).
    const sorted = marks.subarray(0, markCount).sort();
    const everyLine = ruleSet.everyLine.length > 0;
    const fired: number[] = [];
    let next = 0;
    let cursor = 0;
    while (cursor <= text.length) {
      while (next < sorted.length && (sorted[next] as number) < cursor * triggerSlots) next++;
      let lineStart: number;
      if (state.block || everyLine) {
        if (cursor >= text.length) break;
        lineStart = cursor;
      } else {
        if (next >= sorted.length) break;
        lineStart = Math.floor((sorted[next] as number) / triggerSlots);
      }
      fired.length = 0;
      while (next < sorted.length && Math.floor((sorted[next] as number) / triggerSlots) === lineStart) {
        fired.push((sorted[next] as number) % triggerSlots);
        next++;
      }
      let lineEnd = text.indexOf('\n', lineStart);
      if (lineEnd < 0) lineEnd = text.length;
      cursor = lineEnd + 1;
      const contentEnd = lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
      const line = text.slice(lineStart, contentEnd);
      const spans = lineSpans(line, fired, state, tally);
      if (spans.length > 0) visit(lineStart, contentEnd, line, spans);
    }
  };

  const replacement = (rule: CompiledRule, value: string, binary: boolean): string => {
    if (rule.action === 'keep') return value;
    if (rule.action === 'mask') return `[REDACTED:${rule.id}]`;
    const pseudo = pseudonyms();
    // Byte strings are decoded, so that a value hashes the same in text and in bytes.
    const text = binary && /[\x80-\xff]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
    switch (rule.shape) {
      case 'ipv4':
        return pseudo.ipv4(text);
      case 'ipv6':
        return pseudo.ipv6(text);
      case 'email':
        return pseudo.email(text);
      case 'hostname':
        return pseudo.hostname(text);
      default:
        return pseudo.generic(rule.id, text);
    }
  };

  const redactChunk = (
    text: string,
    binary: boolean,
    state: LineState,
    tally: Tally,
    bytes?: Uint8Array,
  ): string | undefined => {
    const pieces: string[] = [];
    let copied = 0;
    walk(
      text,
      state,
      (lineStart, contentEnd, line, spans) => {
        let out = '';
        let at = 0;
        for (const span of spans) {
          if (span.rule.action === 'keep') continue;
          out += line.slice(at, span.start) + replacement(span.rule, line.slice(span.start, span.end), binary);
          at = span.end;
          count(tally, span.rule);
        }
        if (at === 0) return;
        pieces.push(text.slice(copied, lineStart), out, line.slice(at));
        copied = contentEnd;
      },
      bytes,
      tally,
    );
    if (pieces.length === 0) return undefined;
    pieces.push(text.slice(copied));
    return pieces.join('');
  };

  const scanChunk = (
    text: string,
    _binary: boolean,
    state: LineState,
    visit: LineVisitor,
    bytes?: Uint8Array,
    blocks?: Tally,
  ) => {
    walk(
      text,
      state,
      (lineStart, contentEnd, line, spans) => {
        const changing = spans.filter((span) => span.rule.action !== 'keep');
        if (changing.length > 0) visit(lineStart, contentEnd, line, changing);
      },
      bytes,
      blocks,
    );
  };

  const fieldRule = (key: string): CompiledRule | undefined => {
    for (const rule of ruleSet.fieldRules) if (rule.field?.test(key)) return rule;
    return undefined;
  };

  return { ruleSet, setLiterals, redactChunk, scanChunk, replacement, fieldRule, isKept };
}

/** The part of a block line to mask: the body regex's `value` group, else the whole match. */
function bodySpan(body: RegExp, text: string, rule: CompiledRule): Span | undefined {
  const match = body.exec(text);
  if (!match) return undefined;
  const [start, end] = match.indices?.groups?.value ?? [match.index, match.index + match[0].length];
  return end > start ? { start, end, rule } : undefined;
}

/**
 * Overlapping findings: operator rules win over secrets, secrets over personal
 * data; within a class the earlier, then the longer one, then the rule listed
 * first. Returns spans in order.
 */
export function settle(spans: Span[]): Span[] {
  if (spans.length <= 1) return spans;
  spans.sort(
    (a, b) => a.rule.priority - b.rule.priority || a.start - b.start || b.end - a.end || a.rule.order - b.rule.order,
  );
  // Accepted spans, kept in start order: a binary search finds the neighbours
  // a candidate could overlap (O(n log n): a line may hold many thousands).
  const accepted: Span[] = [];
  for (const span of spans) {
    let low = 0;
    let high = accepted.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((accepted[mid] as Span).start < span.start) low = mid + 1;
      else high = mid;
    }
    const next = accepted[low];
    const previous = accepted[low - 1];
    if ((next && next.start < span.end) || (previous && previous.end > span.start)) continue;
    if (low === accepted.length) accepted.push(span);
    else accepted.splice(low, 0, span);
  }
  return accepted;
}
