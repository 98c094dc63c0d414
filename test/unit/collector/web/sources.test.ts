// The pages' code never turns a string into markup or code: no innerHTML and
// kin, no eval, no inline event handlers, no links built outside dom.ts's
// check. Trusted Types in the CSP would stop most of these in the browser;
// this keeps them out of the source, where a reviewer reads it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../helpers/cli.ts';

const webDir = join(repoRoot, 'collector/web');
const sources = readdirSync(webDir)
  .filter((name) => name.endsWith('.ts') || name.endsWith('.html'))
  .map((name) => ({ name, text: readFileSync(join(webDir, name), 'utf8') }));

const forbidden: readonly [RegExp, string][] = [
  [/\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML|createContextualFragment|DOMParser/, 'parses a string as markup'],
  [/document\.write/, 'writes markup into the document'],
  [/\beval\s*\(|new Function\s*\(|setTimeout\(\s*['"`]|setInterval\(\s*['"`]/, 'runs a string as code'],
  [/setAttribute\(\s*['"`]on|\son[a-z]+=/, 'sets an inline event handler'],
  [/<script>|<style>|style=/, 'inline script or style (the CSP forbids them)'],
  [/https?:\/\//, 'refers to another site (every asset comes from the collector)'],
];

describe('the portal pages', () => {
  it('are all here', () => {
    expect(sources.map((source) => source.name)).toContain('app.ts');
    expect(sources.length).toBeGreaterThan(10);
  });

  for (const [pattern, what] of forbidden) {
    it(`never contain code that ${what}`, () => {
      const found = sources.flatMap(({ name, text }) =>
        text
          .split('\n')
          .map((line, index) => ({ line, index }))
          .filter(({ line }) => pattern.test(line) && !line.trimStart().startsWith('//'))
          .map(({ line, index }) => `${name}:${index + 1}: ${line.trim()}`),
      );
      expect(found).toEqual([]);
    });
  }

  it('set href only through the internal-address check, apart from the one blob: receipt link', () => {
    const direct = sources.flatMap(({ name, text }) =>
      text
        .split('\n')
        .filter((line) => /\.href\s*=/.test(line))
        .map((line) => `${name}: ${line.trim()}`),
    );
    expect(direct).toEqual([
      "page-upload.ts: save.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));",
    ]);
  });
});
