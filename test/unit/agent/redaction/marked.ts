// Helpers for the corpus: a find example marks what must go with « and »;
// an example with no mark is a secret on its own (the whole line).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { LoadedPack } from '../../../../agent/redaction/rules.ts';

export interface Marked {
  /** The line without the marks. */
  line: string;
  /** What must be replaced, with its offsets in `line`. */
  secrets: { text: string; start: number; end: number }[];
}

export function parseMarked(example: string): Marked {
  if (!example.includes('«')) return { line: example, secrets: [{ text: example, start: 0, end: example.length }] };
  let line = '';
  const secrets: Marked['secrets'] = [];
  const parts = example.split(/(«[^«»]*»)/);
  for (const part of parts) {
    if (part.startsWith('«') && part.endsWith('»')) {
      const text = part.slice(1, -1);
      secrets.push({ text, start: line.length, end: line.length + text.length });
      line += text;
    } else {
      line += part;
    }
  }
  return { line, secrets };
}

/** Cases in the project's corpus: examples beside the rules plus the fixtures' findings and benign lines. */
export function exampleCount(packs: readonly LoadedPack[], fixtures: string): number {
  let count = 0;
  for (const pack of packs) {
    for (const rule of pack.rules) {
      const examples = rule.examples;
      count += (examples?.find?.length ?? 0) + (examples?.find_line?.length ?? 0) + (examples?.keep?.length ?? 0);
    }
  }
  const findings = parse(readFileSync(join(fixtures, 'findings.yaml'), 'utf8')) as { secrets: []; personal: [] };
  const benign = parse(readFileSync(join(fixtures, 'benign.yaml'), 'utf8')) as { lines: [] };
  return count + findings.secrets.length + findings.personal.length + benign.lines.length;
}
