// The shell blocks of a runbook (docs/operators.md), in document order, for
// the test that runs them. Every fenced shell block must say whether the test
// runs it: ```sh runbook, or ```sh no-runbook: WHY. An unmarked shell block,
// a no-runbook without its reason, a code block that names no language (it
// could hold commands) and an unclosed fence are errors, so that no command
// of the runbook is skipped without saying so. Other languages (yaml, text)
// are not commands and are passed over.

export interface RunbookBlock {
  /** The heading the block stands under ('' before the first). */
  section: string;
  /** Line of the opening fence, from 1. */
  line: number;
  /** The commands, as the reader copies them (the fence's indentation removed). */
  script: string;
  /** True for `sh runbook`: the test runs it. */
  run: boolean;
  /** Why a `no-runbook` block is not run. */
  reason?: string;
}

const shells = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);
const fence = /^(\s*)(`{3,}|~{3,})(.*)$/;
const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/;

export function parseRunbook(markdown: string, file = 'runbook'): RunbookBlock[] {
  const lines = markdown.split('\n');
  const blocks: RunbookBlock[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    const open = fence.exec(text);
    if (!open) {
      const title = heading.exec(text);
      if (title) section = title[1] as string;
      continue;
    }
    const [, indent = '', marker = '', info = ''] = open;
    const line = i + 1;
    const at = `${file}:${line}`;
    if (marker.startsWith('`') && info.includes('`')) continue; // inline code that starts a line, not a fence
    const body: string[] = [];
    let closed = false;
    for (i++; i < lines.length; i++) {
      const inner = lines[i] as string;
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(inner);
      if (close && close[1]?.[0] === marker[0] && (close[1]?.length ?? 0) >= marker.length) {
        closed = true;
        break;
      }
      body.push(inner.startsWith(indent) ? inner.slice(indent.length) : inner.trimStart());
    }
    if (!closed) throw new Error(`${at}: this code block is never closed`);
    const [language = '', ...words] = info.trim().split(/\s+/);
    if (language === '')
      throw new Error(`${at}: a code block must name its language (\`\`\`sh runbook, \`\`\`yaml, ...)`);
    if (!shells.has(language)) continue;
    const script = `${body.join('\n')}\n`;
    const mark = words.join(' ');
    if (mark === 'runbook') {
      blocks.push({ section, line, script, run: true });
      continue;
    }
    const skipped = /^no-runbook:\s*(\S.*)$/.exec(mark);
    if (skipped) {
      blocks.push({ section, line, script, run: false, reason: skipped[1] as string });
      continue;
    }
    throw new Error(
      `${at}: a ${language} block must say whether the runbook test runs it: "${language} runbook", or "${language} no-runbook: WHY" (got "${info.trim()}")`,
    );
  }
  return blocks;
}
