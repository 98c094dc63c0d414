// Counts of what was redacted, per rule and per category: what reports and
// the bundle manifest carry (never the values themselves).
import type { RedactionCategory } from '../../schemas/redaction-rules.ts';
import type { CompiledRule } from './compile.ts';

export interface Tally {
  total: number;
  byRule: Record<string, number>;
  byCategory: Record<RedactionCategory, number>;
  /**
   * Per block rule (PEM keys): blocks opened minus blocks that reached their
   * end line. Adds up over batches like the counts; what is left at the end
   * of the input is the number of blocks cut (no end before the input ended
   * or the next block began), everything after whose start was masked.
   */
  unclosed?: Record<string, number>;
}

export function newTally(): Tally {
  return { total: 0, byRule: {}, byCategory: { secret: 0, personal: 0, operator: 0 } };
}

export function addTally(into: Tally, from: Tally): void {
  into.total += from.total;
  for (const [rule, count] of Object.entries(from.byRule)) into.byRule[rule] = (into.byRule[rule] ?? 0) + count;
  for (const category of ['secret', 'personal', 'operator'] as const) {
    into.byCategory[category] += from.byCategory[category];
  }
  for (const [rule, open] of Object.entries(from.unclosed ?? {})) {
    into.unclosed ??= {};
    into.unclosed[rule] = (into.unclosed[rule] ?? 0) + open;
  }
}

export function blockOpened(tally: Tally, rule: CompiledRule): void {
  tally.unclosed ??= {};
  tally.unclosed[rule.id] = (tally.unclosed[rule.id] ?? 0) + 1;
}

export function blockEnded(tally: Tally, rule: CompiledRule): void {
  tally.unclosed ??= {};
  tally.unclosed[rule.id] = (tally.unclosed[rule.id] ?? 0) - 1;
}

export function count(tally: Tally, rule: CompiledRule): void {
  tally.total++;
  tally.byRule[rule.id] = (tally.byRule[rule.id] ?? 0) + 1;
  tally.byCategory[rule.category]++;
}
