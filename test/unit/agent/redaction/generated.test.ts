// What is generated from the built-in rule packs (agent/redaction/generate.ts):
// the parsed form of each pack that start-up reads, and the per-kind coverage
// table in docs/redaction.md. A pack change without them fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../../../../agent/redaction/generate.ts';
import { builtInPackPaths, loadPack } from '../../../../agent/redaction/rules.ts';

describe('files generated from the rule packs (run node agent/redaction/generate.ts to update them)', () => {
  for (const file of generatedFiles()) {
    it(`${file.path.replace(/^.*?(agent|docs)\//, '$1/')} is current`, () => {
      expect(readFileSync(file.path, 'utf8')).toBe(file.text);
    });
  }

  it('start-up reads the same rules from the parsed form as from the YAML', () => {
    for (const path of builtInPackPaths()) {
      const fromYaml = loadPack(path, true, { yamlOnly: true });
      const fast = loadPack(path, true);
      expect(fast).toEqual(fromYaml);
    }
  });
});
