// known-issue: lines that match a rule of the vendor's known-issues file
// (known-issues/). A rule with `images` looks only at lines of containers
// whose image name matches, one with `versions` only at containers whose
// image tag is a version in the range; a rule with neither looks at every
// line. Which rules apply is worked out once per image, so a line costs one
// map lookup plus its rules: a regex test on its first MATCH_CHARS
// characters, or a token-by-token comparison with a template of its length.
import type { AnalyzerFactory, ObservedLine } from '../analyzer.ts';
import { type Evidence, type Finding, lineAt } from '../finding.ts';
import { counted } from '../format.ts';
import { type CompiledRule, imageMatches } from '../known-issues/rules.ts';
import { inRange, tagVersion } from '../known-issues/versions.ts';
import { WILDCARD } from '../templates/mask.ts';

/** Characters of a line a rule's regex sees: a long line cannot make a rule slow. */
export const MATCH_CHARS = 4096;
const evidenceKept = 5;
const placesKept = 8;

interface Applicable {
  readonly regex: readonly CompiledRule[];
  /** Template rules by token count. */
  readonly templates: ReadonlyMap<number, readonly CompiledRule[]>;
  readonly empty: boolean;
}

interface Hits {
  count: number;
  readonly evidence: Evidence[];
  readonly places: Set<string>;
  readonly tags: Set<string>;
}

export const knownIssue: AnalyzerFactory = {
  name: 'known-issue',
  create(context) {
    const loaded = context.knownIssues?.current();
    const rules = loaded?.rules ?? [];
    const byImage = new Map<string, Applicable>();
    const hits = new Map<CompiledRule, Hits>();
    const applicable = (name: string | undefined, tag: string | undefined): Applicable => {
      const key = name === undefined ? '' : `${name}\u0000${tag ?? ''}`;
      let found = byImage.get(key);
      if (!found) {
        found = select(rules, name, tag);
        byImage.set(key, found);
      }
      return found;
    };
    const record = (rule: CompiledRule, line: ObservedLine) => {
      let hit = hits.get(rule);
      if (!hit) {
        hit = { count: 0, evidence: [], places: new Set(), tags: new Set() };
        hits.set(rule, hit);
      }
      hit.count++;
      const event = line.event;
      if (hit.evidence.length < evidenceKept) hit.evidence.push(lineAt(event.shiplog.file, event.shiplog.line));
      if (hit.places.size < placesKept)
        hit.places.add(event.container?.name ?? event.service?.name ?? event.shiplog.file);
      const image = event.container?.image;
      if (image && hit.tags.size < placesKept) hit.tags.add(image.tag ? `${image.name}:${image.tag}` : image.name);
    };
    return {
      observe(line: ObservedLine) {
        if (rules.length === 0) return;
        const image = line.event.container?.image;
        const rulesHere = applicable(image?.name, image?.tag);
        if (rulesHere.empty) return;
        if (rulesHere.regex.length > 0) {
          const message = line.event.message;
          const text = message.length > MATCH_CHARS ? message.slice(0, MATCH_CHARS) : message;
          for (const rule of rulesHere.regex) if ((rule.regex as RegExp).test(text)) record(rule, line);
        }
        if (rulesHere.templates.size > 0) {
          const tokens = line.tokens();
          const candidates = rulesHere.templates.get(tokens.length);
          if (candidates)
            for (const rule of candidates) if (sameShape(rule.template as string[], tokens)) record(rule, line);
        }
      },
      finish() {
        const findings: Finding[] = [];
        for (const [rule, hit] of hits) {
          const places = [...hit.places];
          findings.push({
            analyzer: 'known-issue',
            severity: rule.severity,
            title: `${rule.title} (${counted(hit.count, 'line')} in ${places.slice(0, 3).join(', ')}${places.length > 3 ? ', ...' : ''})`,
            detail: [
              rule.hint,
              ...(rule.link ? [`See ${rule.link}`] : []),
              `Known issue ${rule.id}${rule.versionsText ? `, versions ${rule.versionsText}` : ''}.`,
              ...(hit.tags.size > 0 ? [`Images: ${[...hit.tags].join(', ')}.`] : []),
            ].join('\n'),
            key: `known-issue:${rule.id}`,
            evidence: hit.evidence,
          });
        }
        if (loaded?.problem) {
          findings.push({
            analyzer: 'known-issue',
            severity: 'info',
            title: 'the known-issue rules file is not usable; the rules loaded before it were applied',
            detail: loaded.problem,
            key: 'known-issue:rules-file',
            evidence: [],
          });
        }
        return findings;
      },
    };
  },
};

function select(rules: readonly CompiledRule[], name: string | undefined, tag: string | undefined): Applicable {
  const version = tagVersion(tag);
  const regex: CompiledRule[] = [];
  const templates = new Map<number, CompiledRule[]>();
  for (const rule of rules) {
    if (rule.images && (name === undefined || !imageMatches(name, rule.images))) continue;
    if (rule.versions && (version === undefined || !inRange(version, rule.versions))) continue;
    if (rule.regex) regex.push(rule);
    else if (rule.template) {
      const list = templates.get(rule.template.length) ?? [];
      list.push(rule);
      templates.set(rule.template.length, list);
    }
  }
  return { regex, templates, empty: regex.length === 0 && templates.size === 0 };
}

function sameShape(template: readonly string[], tokens: readonly string[]): boolean {
  for (let i = 0; i < template.length; i++) {
    const want = template[i];
    if (want !== WILDCARD && want !== tokens[i]) return false;
  }
  return true;
}
