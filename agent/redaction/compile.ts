// Turns loaded packs into what the engine runs: every regex compiled once,
// and prefilters that let clean lines skip every rule. The keywords of all
// rules go into one automaton (keywords.ts); rules without keywords bring a
// cheap structural prefilter regex of their own (e.g. "d.d+.d+.d" for IPv4).
// A line becomes "dirty" only when a keyword or prefilter hits it, and then
// only the rules behind what hit run on it.
import { CodedError } from '../../core/coded-error.ts';
import type {
  PseudonymShape,
  RedactionAction,
  RedactionCategory,
  RedactionRule,
} from '../../schemas/redaction-rules.ts';
import { agentErrors } from '../errors.ts';
import { buildKeywordScanner, type KeywordScanner } from './keywords.ts';
import { gatePrefilters, type PrefilterGate } from './prefilter-gate.ts';
import type { LoadedPack } from './rules.ts';
import { makeValidator, type ValueCheck } from './validators.ts';

export type CategoryActions = Readonly<Record<RedactionCategory, RedactionAction>>;

export const defaultActions: CategoryActions = { secret: 'mask', personal: 'pseudonymize', operator: 'mask' };

/**
 * A block runs to its end line, the next start, or the end of the input,
 * whatever its length: a rule's `max_lines` no longer cuts it (engine.ts).
 */
export interface CompiledBlock {
  readonly end: RegExp;
  readonly body: RegExp;
}

export interface CompiledRule {
  readonly id: string;
  readonly category: RedactionCategory;
  readonly action: RedactionAction;
  readonly shape: PseudonymShape;
  /** Global + indices flags; undefined for field-only rules. */
  readonly regex: RegExp | undefined;
  readonly group: number | string | undefined;
  readonly check: ValueCheck | undefined;
  /** Lower-case keywords; a dirty line must contain one of them. */
  readonly keywords: readonly string[];
  readonly field: RegExp | undefined;
  readonly block: CompiledBlock | undefined;
  /** Anchored keep-list patterns: a value matching one is left alone. */
  readonly keep: readonly RegExp[];
  /** Overlaps are settled in favour of the lower number: operator, secret, personal. */
  readonly priority: number;
  /** Position in the packs: between equal findings the rule listed first (the more specific) wins. */
  readonly order: number;
  /** Scratch: the serial of the last line this rule ran on (dedupes per line). */
  seenLine: number;
}

export interface Prefilter {
  readonly regex: RegExp;
  /** Index into CompiledRuleSet.triggers. */
  readonly trigger: number;
  /**
   * Tested on each line alone, not over the chunk: the pattern could match a
   * line end (\s, a negated class, ...), and a match running into the next
   * line would hide a match inside the first one.
   */
  readonly perLine?: boolean;
}

export interface CompiledRuleSet {
  readonly rules: readonly CompiledRule[];
  /** Regex prefilters, each run over a whole chunk. */
  readonly prefilters: readonly Prefilter[];
  /** Prefilters that begin with a digit, run together (prefilter-gate.ts); not in `prefilters`. */
  readonly prefilterGates: readonly PrefilterGate[];
  /** Every rule keyword in one automaton; keyword i fires trigger keywordTrigger + i. */
  readonly keywords: KeywordScanner | undefined;
  readonly keywordTrigger: number;
  /** The rules to run on a line, by what fired on it. */
  readonly triggers: readonly (readonly CompiledRule[])[];
  /** Rules with neither keywords nor a prefilter: they run on every line. */
  readonly everyLine: readonly CompiledRule[];
  readonly fieldRules: readonly CompiledRule[];
  /** Keep-list patterns marked always (placeholders, redacted text): for runtime literals. */
  readonly keepAlways: readonly RegExp[];
}

const priorities: Readonly<Record<RedactionCategory, number>> = { operator: 0, secret: 1, personal: 2 };

/**
 * Later packs override earlier ones rule by rule (an operator pack may
 * replace a built-in rule by reusing its id, e.g. to set action: keep).
 */
export function compileRuleSet(packs: readonly LoadedPack[], actions: CategoryActions): CompiledRuleSet {
  const byId = new Map<string, { rule: RedactionRule; pack: LoadedPack }>();
  for (const pack of packs) for (const rule of pack.rules) byId.set(rule.id, { rule, pack });

  const keeps: { regex: RegExp; rules: readonly string[] | undefined; always: boolean }[] = [];
  for (const pack of packs) {
    for (const keep of pack.keep) {
      const regex = compileRegex(`^(?:${keep.regex})$`, keep.ignore_case ? 'i' : '', keep.id, pack.path, 'keep regex');
      keeps.push({ regex, rules: keep.rules, always: keep.always });
    }
  }
  const keepAlways = keeps.filter((keep) => keep.always).map((keep) => keep.regex);
  // One anchored alternation per rule and flag set: one test per value instead of one per entry.
  const keepFor = (rule: RedactionRule): RegExp[] => {
    const applying = keeps.filter(
      (keep) => keep.always || keep.rules?.includes(rule.id) || (rule.keep_list && keep.rules === undefined),
    );
    const byFlags = new Map<string, string[]>();
    for (const keep of applying)
      byFlags.set(keep.regex.flags, [...(byFlags.get(keep.regex.flags) ?? []), keep.regex.source]);
    return [...byFlags].map(([flags, sources]) => new RegExp(sources.join('|'), flags));
  };

  const rules: CompiledRule[] = [];
  for (const { rule, pack } of byId.values()) {
    const compiled = compileRule(rule, pack.path, actions, keepFor(rule), rules.length);
    // A rule whose action is keep changes nothing: skip it (and its prefilter
    // cost). Operator rules still run, because a kept span shields its text.
    if (compiled.action === 'keep' && compiled.category !== 'operator') continue;
    rules.push(compiled);
  }

  const textRules = rules.filter((rule) => rule.regex !== undefined);
  const triggers: CompiledRule[][] = [];
  const prefilters: Prefilter[] = [];
  const everyLine: CompiledRule[] = [];
  const byPattern = new Map<string, Prefilter>();
  const byKeyword = new Map<string, CompiledRule[]>();
  for (const rule of textRules) {
    const source = byId.get(rule.id);
    const pattern = source?.rule.prefilter;
    if (pattern !== undefined) {
      // m: ^ and $ are a line's start and end in a chunk of lines too, as they are in a line alone.
      const flags = source?.rule.ignore_case ? 'gim' : 'gm';
      const key = `${flags}/${pattern}`;
      let prefilter = byPattern.get(key);
      if (!prefilter) {
        const regex = compileRegex(unrollRepeats(pattern), flags, rule.id, source?.pack.path ?? '', 'prefilter');
        prefilter = { regex, trigger: triggers.length, ...(mayMatchLineEnd(regex.source) && { perLine: true }) };
        triggers.push([]);
        byPattern.set(key, prefilter);
        prefilters.push(prefilter);
      }
      triggers[prefilter.trigger]?.push(rule);
    } else if (rule.keywords.length > 0) {
      for (const keyword of rule.keywords) {
        const list = byKeyword.get(keyword) ?? [];
        list.push(rule);
        byKeyword.set(keyword, list);
      }
    } else {
      everyLine.push(rule);
    }
  }
  const keywordTrigger = triggers.length;
  triggers.push(...byKeyword.values());
  const { gates, rest } = gatePrefilters(prefilters);
  return {
    rules,
    prefilters: rest,
    prefilterGates: gates,
    keywords: byKeyword.size > 0 ? buildKeywordScanner([...byKeyword.keys()]) : undefined,
    keywordTrigger,
    triggers,
    everyLine,
    fieldRules: rules.filter((rule) => rule.field !== undefined),
    keepAlways,
  };
}

function compileRule(
  rule: RedactionRule,
  path: string,
  actions: CategoryActions,
  keep: RegExp[],
  order: number,
): CompiledRule {
  const flags = rule.ignore_case ? 'i' : '';
  const source = rule.literal !== undefined ? escapeRegExp(rule.literal) : rule.regex;
  const regex = source === undefined ? undefined : compileRegex(source, `gd${flags}`, rule.id, path, 'regex');
  if (regex && rule.group !== undefined) checkGroup(regex, rule.group, rule.id, path);
  let keywords = (rule.keywords ?? []).map((keyword) => keyword.toLowerCase());
  if (rule.literal !== undefined && keywords.length === 0 && rule.prefilter === undefined) {
    keywords = [rule.literal.toLowerCase()];
  }
  return {
    id: rule.id,
    category: rule.category,
    action: rule.action ?? actions[rule.category],
    shape: rule.shape ?? 'token',
    regex,
    group: rule.group,
    check: rule.validator ? makeValidator(rule.validator, rule.min_entropy) : undefined,
    keywords,
    field: rule.field === undefined ? undefined : compileRegex(rule.field, 'i', rule.id, path, 'field'),
    block: rule.block
      ? {
          end: compileRegex(rule.block.end, flags, rule.id, path, 'block.end'),
          body: compileRegex(rule.block.body, `d${flags}`, rule.id, path, 'block.body'),
        }
      : undefined,
    keep,
    priority: priorities[rule.category],
    order,
    seenLine: -1,
  };
}

export function compileRegex(source: string, flags: string, rule: string, path: string, field: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new CodedError(agentErrors.REDACTION_RULE_COMPILE, { rule, path, field, detail }, { cause: error });
  }
}

function checkGroup(regex: RegExp, group: number | string, rule: string, path: string): void {
  // A named group shows in the source as (?<name>: only the other cases need
  // the regex compiled a second time (for hundreds of rules, a tenth of start-up).
  const named = typeof group === 'string' && regex.source.includes(`(?<${group}>`);
  const groups = named ? null : new RegExp(`${regex.source}|`).exec('');
  const count = groups ? groups.length - 1 : 0;
  const ok =
    named || (typeof group === 'number' ? group <= count : groups?.groups !== undefined && group in groups.groups);
  if (!ok) {
    throw new CodedError(agentErrors.REDACTION_RULE_COMPILE, {
      rule,
      path,
      field: 'group',
      detail: `the regex has no capture group ${JSON.stringify(group)}`,
    });
  }
}

/** True when a pattern might match a line feed (conservatively: any class that could hold one). */
export function mayMatchLineEnd(source: string): boolean {
  return /\\[sSDWnrvfuxcpP0]|\[\^/.test(source);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * `\d{4}` -> `\d\d\d\d`: V8 can skip ahead over text only when it sees each
 * position of a pattern, and a counted repeat hides them (measured: 4x).
 */
export function unrollRepeats(source: string): string {
  return source.replace(
    /(\\[dDwWsS]|\[(?:\\.|[^\]\\])+\]|\\\.|[A-Za-z0-9])\{(\d+)\}/g,
    (whole, atom: string, count: string) => {
      const n = Number(count);
      return n >= 1 && n <= 16 ? atom.repeat(n) : whole;
    },
  );
}
