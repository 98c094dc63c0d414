import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompiledRuleSet } from '../../../../agent/redaction/compile.ts';
import { createEngine, newLineState, type Span } from '../../../../agent/redaction/engine.ts';
import { digitTails, splitAlternatives } from '../../../../agent/redaction/prefilter-gate.ts';
import { createPseudonymizer } from '../../../../agent/redaction/pseudonym.ts';
import { setupEngine } from '../../../../agent/redaction/setup.ts';

const pseudonyms = () => createPseudonymizer(Buffer.alloc(32, 9));
const gated = setupEngine({ siteKey: Buffer.alloc(32, 9) }).engine.ruleSet;
/** The same rules with every gated prefilter run on its own over the chunk, as before gates. */
const ungated: CompiledRuleSet = {
  ...gated,
  prefilters: [
    ...gated.prefilters,
    ...gated.prefilterGates.flatMap((gate) =>
      gate.members.map((member) => ({
        regex: new RegExp(member.regex.source, `${member.regex.flags}g`),
        trigger: member.trigger,
      })),
    ),
  ],
  prefilterGates: [],
};

function findings(ruleSet: CompiledRuleSet, text: string): string[] {
  const out: string[] = [];
  // Both rule sets share their rules, whose scratch dedupes per line of one engine.
  for (const rule of ruleSet.rules) rule.seenLine = -1;
  createEngine(ruleSet, pseudonyms).scanChunk(
    text,
    true,
    newLineState(),
    (lineStart, _end, _line, spans: readonly Span[]) => {
      for (const span of spans) out.push(`${lineStart}+${span.start}-${span.end} ${span.rule.id}`);
    },
    Buffer.from(text, 'latin1'),
  );
  return out;
}

describe('prefilters gated on a leading digit', () => {
  it('gates the built-in card, IPv4 and SSN prefilters together', () => {
    expect(gated.prefilterGates).toHaveLength(1);
    expect(gated.prefilterGates[0]?.members).toHaveLength(3);
  });

  it('finds exactly what separate passes find', () => {
    const sample = 'card 4111 1111 1111 1111 from 192.168.0.254\nok 1.2.3\nssn 123-45-6789 and 4111111111111111';
    expect(findings(gated, sample).length).toBeGreaterThanOrEqual(3);
    expect(findings(gated, sample)).toEqual(findings(ungated, sample));
    const piece = fc.constantFrom(
      '4111 1111 1111 1111',
      '4111-1111-1111-1111',
      '4111111111111111',
      '378282246310005',
      '078-05-1120',
      '123-45-678',
      '10.1.2.3',
      '192.168.0.254',
      '1.2.3',
      '2026-11-25T00:00:00.123Z',
      ' ',
      '\n',
      'id=',
      '42',
      '7',
      ' - ',
      'x',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        expect(findings(gated, text)).toEqual(findings(ungated, text));
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves out what a line cut from its chunk could read differently', () => {
    expect(digitTails(String.raw`\d\d|\d-\d`)).toEqual([String.raw`\d`, '-\\d']);
    expect(digitTails(String.raw`\d+\.\d`)).toBeUndefined();
    expect(digitTails(String.raw`\d\b`)).toBeUndefined();
    expect(digitTails(String.raw`(?<!\d)\d\d`)).toBeUndefined();
    expect(digitTails(String.raw`\d\s\d`)).toBeUndefined();
    expect(digitTails(String.raw`\d[^a]`)).toBeUndefined();
    expect(digitTails(String.raw`\d(a)\1`)).toBeUndefined();
    expect(digitTails(String.raw`\d\d|x\d`)).toBeUndefined();
    expect(splitAlternatives(String.raw`a(b|c)|[|]|\||d`)).toEqual(['a(b|c)', '[|]', '\\|', 'd']);
    expect(splitAlternatives('a(b')).toBeUndefined();
  });
});
