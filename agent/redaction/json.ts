// Redacts a parsed JSON document: a field whose name says it holds a secret
// (password, token, api_key, ...) has its whole value replaced, as do the
// value of a name/value pair whose name says so and every value under a
// Kubernetes Secret's data; every other string (and every key) goes through
// the line rules like any log text.
// The input is never modified; a new document is returned.
import type { CompiledRule } from './compile.ts';
import type { Engine } from './engine.ts';
import { count, type Tally } from './tally.ts';

/** The rule a Kubernetes Secret's data values are counted under (credentials pack). */
const kubernetesSecretRule = 'kubernetes-secret-data';

export function redactJsonValue<T>(
  document: T,
  engine: Engine,
  redactString: (text: string) => string,
  tally: Tally,
): T {
  const secretDataRule = engine.ruleSet.rules.find((rule) => rule.id === kubernetesSecretRule);
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return redactString(value);
    if (typeof value === 'number') return redactNumber(value, redactString);
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    const record = value as Record<string, unknown>;
    // A name/value pair ({"name": "DB_PASSWORD", "value": ...}, as Kubernetes and ECS list environment
    // variables): the value is secret when the name is.
    const pairRule = typeof record.name === 'string' && 'value' in record ? engine.fieldRule(record.name) : undefined;
    // A Kubernetes Secret: every value under data and stringData is secret, whatever its key.
    const manifestRule = record.kind === 'Secret' ? secretDataRule : undefined;
    for (const [key, child] of Object.entries(value)) {
      if (pairRule && pairRule.action !== 'keep' && key === 'value') {
        out[key] = replaceLeaves(child, pairRule, engine, tally);
        continue;
      }
      if (manifestRule && manifestRule.action !== 'keep' && (key === 'data' || key === 'stringData')) {
        out[key] = replaceLeaves(child, manifestRule, engine, tally);
        continue;
      }
      const rule = engine.fieldRule(key);
      // A rule with a check (key: random-looking values only) replaces only a string that passes it.
      const applies =
        rule !== undefined &&
        rule.action !== 'keep' &&
        (rule.check === undefined || (typeof child === 'string' && rule.check(child)));
      const redacted = applies && rule ? replaceLeaves(child, rule, engine, tally) : walk(child);
      let name = redactString(key);
      for (let n = 2; name !== key && Object.hasOwn(out, name); n++) name = `${redactString(key)}~${n}`;
      out[name] = redacted;
    }
    return out;
  };
  return walk(document) as T;
}

/** A number that is really an identifier (a card number, say) goes through the rules as text. */
function redactNumber(value: number, redactString: (text: string) => string): number | string {
  if (!Number.isInteger(value) || Math.abs(value) < 1e8) return value;
  const text = String(value);
  const redacted = redactString(text);
  return redacted === text ? value : redacted;
}

/** Every string and number under a secret field is replaced; booleans and null say nothing. */
function replaceLeaves(value: unknown, rule: CompiledRule, engine: Engine, tally: Tally): unknown {
  if (typeof value === 'string' || typeof value === 'number') {
    const text = String(value);
    if (text === '' || engine.isKept(text, rule)) return value;
    count(tally, rule);
    return engine.replacement(rule, text, false);
  }
  if (Array.isArray(value)) return value.map((item) => replaceLeaves(item, rule, engine, tally));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [key, replaceLeaves(child, rule, engine, tally)]),
  );
}
