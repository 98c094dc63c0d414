// The runbook's shell blocks are found, in order, each marked run or not run
// with a reason; an unmarked one fails the parse, so the runbook test can
// skip no command without saying so. The real docs/operators.md parses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli.ts';
import { parseRunbook } from '../../helpers/runbook.ts';

const fence = '```';

describe('parseRunbook', () => {
  it('answers the shell blocks in document order, with their section, line and mark', () => {
    const page = [
      '# Runbook',
      '',
      '## Install',
      '',
      `${fence}sh runbook`,
      'tar -xf kit.tar',
      './install.sh',
      fence,
      '',
      '## Containers',
      '',
      `${fence}yaml`,
      'data_dir: /var/lib/shiplog',
      fence,
      '',
      `${fence}bash no-runbook: needs a bridge network`,
      'docker run -p 8080:8080 shiplog/collector:VERSION',
      fence,
      '',
    ].join('\n');
    expect(parseRunbook(page)).toEqual([
      { section: 'Install', line: 5, script: 'tar -xf kit.tar\n./install.sh\n', run: true },
      {
        section: 'Containers',
        line: 16,
        script: 'docker run -p 8080:8080 shiplog/collector:VERSION\n',
        run: false,
        reason: 'needs a bridge network',
      },
    ]);
  });

  it('takes a block inside a list item without its indentation, and tilde fences', () => {
    const page = [
      '1. Check:',
      '',
      `   ${fence}sh runbook`,
      '   sha256sum -c SHA256SUMS',
      `   ${fence}`,
      '',
      '~~~sh runbook',
      'ls',
      '~~~',
    ].join('\n');
    expect(parseRunbook(page).map((block) => block.script)).toEqual(['sha256sum -c SHA256SUMS\n', 'ls\n']);
  });

  it('keeps a longer fence open past a shorter one inside it', () => {
    const page = ['````sh runbook', 'cat <<EOF', '```', 'EOF', '````'].join('\n');
    expect(parseRunbook(page)).toEqual([{ section: '', line: 1, script: 'cat <<EOF\n```\nEOF\n', run: true }]);
  });

  it.each([
    [
      'an unmarked sh block',
      `## Start\n\n${fence}sh\nsystemctl start shiplog-agent\n${fence}\n`,
      /runbook:3: a sh block must say whether the runbook test runs it/,
    ],
    ['a misspelt mark', `${fence}sh runbok\nls\n${fence}\n`, /runbook:1: .*got "sh runbok"/],
    ['no-runbook without a reason', `${fence}sh no-runbook:\nls\n${fence}\n`, /runbook:1: a sh block must say/],
    ['a console block left unmarked', `${fence}console\n# shiplog status\n${fence}\n`, /a console block must say/],
    [
      'a block that names no language',
      `${fence}\nrm -rf /var/lib/shiplog\n${fence}\n`,
      /runbook:1: a code block must name its language/,
    ],
    ['a fence never closed', `${fence}sh runbook\nls\n`, /runbook:1: this code block is never closed/],
  ])('refuses %s', (_name, page, message) => {
    expect(() => parseRunbook(page)).toThrow(message);
  });
});

describe('docs/operators.md', () => {
  const blocks = parseRunbook(readFileSync(join(repoRoot, 'docs/operators.md'), 'utf8'), 'docs/operators.md');

  it('marks every shell block; most of them run', () => {
    expect(blocks.filter((block) => block.run).length).toBeGreaterThan(blocks.filter((block) => !block.run).length);
  });

  it('names no placeholder in a block that runs', () => {
    for (const block of blocks.filter((each) => each.run)) expect(block.script).not.toMatch(/VERSION|PORTAL|HOST\b/);
  });
});
