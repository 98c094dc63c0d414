// The corpus: every rule's findings in every log shape, and benign
// look-alikes that must pass untouched (test/fixtures/redaction/).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRedactor } from '../../../../agent/redaction/index.ts';
import { builtInPackPaths, loadPack } from '../../../../agent/redaction/rules.ts';

interface Case {
  rule: string;
  context: string;
  value: string;
  query?: string;
  shapes?: string[];
  shapes_skip?: string[];
  rule_any?: boolean;
  shape?: 'email' | 'ipv4' | 'ipv6' | 'token';
}

const fixtures = join(import.meta.dirname, '../../../fixtures/redaction');
const load = (name: string): unknown => parse(readFileSync(join(fixtures, name), 'utf8'));
const shapes = load('shapes.yaml') as Record<string, string>;
const findings = load('findings.yaml') as { secrets: Case[]; personal: Case[] };
const benign = (load('benign.yaml') as { lines: string[] }).lines;

const redactor = createRedactor({ siteKey: Buffer.alloc(32, 1) });

interface Embedded {
  line: string;
  prefix: string;
  suffix: string;
}

/** The case written into one shape; undefined when it cannot be written there. */
function embed(template: string, testCase: Case): Embedded | undefined {
  const context = testCase.context.replace('VALUE', testCase.value);
  const slot = /\{\{context(?:\|(\w+))?\}\}/.exec(template);
  if (!slot) throw new Error(`shape without a {{context}} slot: ${template}`);
  let text: string | undefined;
  switch (slot[1]) {
    case 'json':
      text = JSON.stringify(context).slice(1, -1);
      break;
    case 'logfmt':
      text = context.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
      break;
    case 'query':
      text = testCase.query
        ? testCase.query.replace('VALUE', testCase.value)
        : /[\s"'<>]/.test(context)
          ? undefined
          : context;
      break;
    case 'header':
      text = /^[A-Za-z-]+: /.test(context) ? context : `X-Debug-Context: ${context}`;
      break;
    default:
      text = context;
  }
  if (text === undefined) return undefined;
  return {
    line: template.replace(slot[0], text),
    prefix: template.slice(0, slot.index),
    suffix: template.slice(slot.index + slot[0].length),
  };
}

function shapesFor(testCase: Case): [string, string][] {
  return Object.entries(shapes).filter(
    ([name]) =>
      (testCase.shapes === undefined || testCase.shapes.includes(name)) && !testCase.shapes_skip?.includes(name),
  );
}

const pseudonymShapes: Record<string, RegExp> = {
  email: /user-[a-z2-7]{8}@domain-[a-z2-7]{8}\.example/,
  ipv4: /\b198\.1[89]\.\d{1,3}\.\d{1,3}\b/,
  ipv6: /\b2001:db8:[0-9a-f:]+/,
};

describe('corpus: secrets in every log shape', () => {
  for (const testCase of findings.secrets) {
    for (const [shape, template] of shapesFor(testCase)) {
      const embedded = embed(template, testCase);
      if (!embedded) continue;
      it(`${testCase.rule} in ${shape}: ${testCase.context.slice(0, 40)}`, () => {
        const { text } = redactor.redactText(embedded.line);
        expect(text).not.toContain(testCase.value);
        expect(text).not.toContain(JSON.stringify(testCase.value).slice(1, -1));
        expect(text).toMatch(/\[REDACTED:[a-z0-9-]+\]/);
        expect(text.startsWith(embedded.prefix), `prefix kept in: ${text}`).toBe(true);
        expect(text.endsWith(embedded.suffix), `suffix kept in: ${text}`).toBe(true);
        const rules = redactor.scanText(embedded.line).findings.map((finding) => finding.rule);
        if (testCase.rule_any) expect(rules.length).toBeGreaterThan(0);
        else expect(rules).toContain(testCase.rule);
        // A second pass finds nothing left: the bundle's fail-closed rescan passes.
        expect(redactor.scanText(text).findings).toEqual([]);
      });
    }
  }
});

describe('corpus: personal data in every log shape', () => {
  for (const testCase of findings.personal) {
    for (const [shape, template] of shapesFor(testCase)) {
      const embedded = embed(template, testCase);
      if (!embedded) continue;
      it(`${testCase.rule} in ${shape}: ${testCase.value}`, () => {
        const { text } = redactor.redactText(embedded.line);
        expect(text).not.toContain(testCase.value);
        const expected =
          pseudonymShapes[testCase.shape ?? 'token'] ?? new RegExp(`\\[PSEUDONYM:${testCase.rule}:[a-z2-7]{8}\\]`);
        expect(text).toMatch(expected);
        expect(text.startsWith(embedded.prefix), `prefix kept in: ${text}`).toBe(true);
        expect(text.endsWith(embedded.suffix), `suffix kept in: ${text}`).toBe(true);
        expect(redactor.scanText(embedded.line).findings.map((finding) => finding.rule)).toContain(testCase.rule);
        expect(redactor.scanText(text).findings).toEqual([]);
      });
    }
  }
});

describe('corpus: benign look-alikes pass untouched', () => {
  for (const line of benign) {
    it(line.slice(0, 90), () => {
      expect(redactor.scanText(line).findings).toEqual([]);
      expect(redactor.redactText(line).text).toBe(line);
    });
  }
});

describe('corpus coverage', () => {
  it('has cases for every built-in rule', () => {
    // A rule is covered by a case here or by the examples beside it in its pack (examples.test.ts).
    const packs = builtInPackPaths().map((path) => loadPack(path, true, { examples: true }));
    const covered = new Set([...findings.secrets, ...findings.personal].map((testCase) => testCase.rule));
    for (const rule of packs.flatMap((pack) => pack.rules)) {
      if ((rule.examples?.find?.length ?? 0) + (rule.examples?.find_line?.length ?? 0) > 0) covered.add(rule.id);
    }
    const builtIn = createRedactor({ siteKey: Buffer.alloc(32, 1) }).ruleSet.packs.reduce(
      (n, pack) => n + pack.rules,
      0,
    );
    expect(covered.size).toBe(builtIn);
  });
});
