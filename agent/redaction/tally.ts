// Counts of what was redacted, per rule and per category: what reports and
// the bundle manifest carry (never the values themselves).
import type { RedactionCategory } from '../../schemas/redaction-rules.ts';
import type { CompiledRule } from './compile.ts';

export interface Tally {
  total: number;
  byRule: Record<string, number>;
  byCategory: Record<RedactionCategory, number>;
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
}

export function count(tally: Tally, rule: CompiledRule): void {
  tally.total++;
  tally.byRule[rule.id] = (tally.byRule[rule.id] ?? 0) + 1;
  tally.byCategory[rule.category]++;
}
