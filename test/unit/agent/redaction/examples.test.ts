// The test cases that live next to each rule in the built-in packs
// (`examples:` in agent/redaction/packs/*.yaml): every `find` line, written
// into every log shape of the corpus, loses what « » mark (or the whole line
// when nothing is marked) to that rule and keeps the rest; every `keep` line
// (a benign look-alike) comes out byte for byte as it went in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRedactor } from '../../../../agent/redaction/index.ts';
import { builtInPackPaths, loadPack } from '../../../../agent/redaction/rules.ts';
import { exampleCount, parseMarked } from './marked.ts';

const fixtures = join(import.meta.dirname, '../../../fixtures/redaction');
const shapes = parse(readFileSync(join(fixtures, 'shapes.yaml'), 'utf8')) as Record<string, string>;
const redactor = createRedactor({ siteKey: Buffer.alloc(32, 1) });
const packs = builtInPackPaths().map((path) => loadPack(path, true, { examples: true }));

/** The line written into one shape, escaped as that shape escapes; undefined when it does not fit there. */
function inShape(template: string, line: string): { line: string; prefix: string; suffix: string } | undefined {
  const slot = /\{\{context(?:\|(\w+))?\}\}/.exec(template);
  if (!slot) throw new Error(`shape without a {{context}} slot: ${template}`);
  let text: string | undefined = line;
  if (slot[1] === 'json') text = JSON.stringify(line).slice(1, -1);
  else if (slot[1] === 'logfmt') text = line.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  else if (slot[1] === 'query') text = /[\s"'<>%&#]/.test(line) ? undefined : line;
  else if (slot[1] === 'header') text = /^[A-Za-z-]+: /.test(line) ? line : `X-Debug-Context: ${line}`;
  if (text === undefined) return undefined;
  return {
    line: template.replace(slot[0], text),
    prefix: template.slice(0, slot.index),
    suffix: template.slice(slot.index + slot[0].length),
  };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const pack of packs.filter((p) => p.rules.length > 0)) {
  describe(`examples of the ${pack.name} pack`, () => {
    for (const rule of pack.rules) {
      const examples = rule.examples;
      if (!examples) continue;
      const finds = [
        ...(examples.find ?? []).map((text) => ({ text, everyShape: true })),
        ...(examples.find_line ?? []).map((text) => ({ text, everyShape: false })),
      ];
      for (const { text, everyShape } of finds) {
        it(`${rule.id} finds: ${text.slice(0, 70)}`, () => {
          const { line, secrets } = parseMarked(text);
          // As written: the rule reports each marked part, and nothing around them changes.
          const findings = redactor.scanText(line).findings;
          for (const secret of secrets) {
            const covered = findings.some(
              (f) => f.rule === rule.id && f.column - 1 <= secret.start && f.column - 1 + f.length >= secret.end,
            );
            expect(covered, `${rule.id} should cover "${secret.text}" in: ${line}\n${JSON.stringify(findings)}`).toBe(
              true,
            );
          }
          const out = redactor.redactText(line).text;
          const pattern = secrets.reduce((acc, secret, i) => {
            const before = line.slice(i === 0 ? 0 : (secrets[i - 1]?.end ?? 0), secret.start);
            return `${acc}${escapeRegExp(before)}.*?`;
          }, '^');
          const tail = line.slice(secrets.at(-1)?.end ?? 0);
          expect(out, `only the marked parts change`).toMatch(new RegExp(`${pattern}${escapeRegExp(tail)}$`));
          for (const secret of secrets) expect(out).not.toContain(secret.text);
          expect(redactor.scanText(out).findings, `a second pass finds nothing in: ${out}`).toEqual([]);
          if (!everyShape) return;
          for (const [shape, template] of Object.entries(shapes)) {
            const embedded = inShape(template, line);
            if (!embedded) continue;
            const redacted = redactor.redactText(embedded.line).text;
            for (const secret of secrets) {
              expect(redacted, `${shape}: ${redacted}`).not.toContain(secret.text);
              expect(redacted, `${shape}: ${redacted}`).not.toContain(JSON.stringify(secret.text).slice(1, -1));
            }
            expect(redacted.startsWith(embedded.prefix), `${shape} prefix kept in: ${redacted}`).toBe(true);
            expect(redacted.endsWith(embedded.suffix), `${shape} suffix kept in: ${redacted}`).toBe(true);
            expect(redactor.scanText(redacted).findings, `${shape}: second pass over ${redacted}`).toEqual([]);
          }
        });
      }
      for (const line of examples.keep ?? []) {
        it(`${rule.id} keeps: ${line.slice(0, 70)}`, () => {
          expect(redactor.redactText(line).text).toBe(line);
          for (const [shape, template] of Object.entries(shapes)) {
            const embedded = inShape(template, line);
            if (!embedded) continue;
            expect(redactor.redactText(embedded.line).text, `in the ${shape} shape`).toBe(embedded.line);
          }
        });
      }
    }
  });
}

describe('examples beside the rules', () => {
  it('every built-in rule that finds something has positive examples and benign look-alikes', () => {
    const missing = packs
      .flatMap((pack) => pack.rules)
      .filter((rule) => (rule.examples?.find?.length ?? 0) + (rule.examples?.find_line?.length ?? 0) === 0)
      .map((rule) => rule.id);
    expect(missing).toEqual([]);
  });

  it('the project corpus holds at least 2,000 cases', () => {
    expect(exampleCount(packs, fixtures)).toBeGreaterThanOrEqual(2000);
  });
});
