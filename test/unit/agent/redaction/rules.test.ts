import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../../agent/redaction/index.ts';
import { builtInPackPaths, loadPack, ruleSetHash } from '../../../../agent/redaction/rules.ts';
import { tempDir } from '../../../helpers/temp.ts';

function packFile(text: string, name = 'rules.yaml'): string {
  const path = join(tempDir('shiplog-rules-'), name);
  writeFileSync(path, text);
  return path;
}

const siteKey = Buffer.alloc(32, 5);
const load = (text: string, name?: string) => () =>
  createRedactor({ siteKey, settings: { rules: packFile(text, name) } });

describe('built-in packs', () => {
  it('load, validate, and carry a name, a version and the sha256 of their bytes', () => {
    const paths = builtInPackPaths();
    expect(paths.map((path) => path.split('/').at(-1))).toEqual(['credentials.yaml', 'keep.yaml', 'personal.yaml']);
    for (const path of paths) {
      const pack = loadPack(path, true);
      expect(pack.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(pack.hash).toBe(`sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  });

  it('give the rule set a hash that changes when a pack does', () => {
    const packs = builtInPackPaths().map((path) => loadPack(path, true));
    const extra = loadPack(packFile('name: site\nversion: 1.0.0\nrules: []\n'));
    expect(ruleSetHash(packs)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ruleSetHash([...packs, extra])).not.toBe(ruleSetHash(packs));
    expect(createRedactor({ siteKey }).ruleSet.hash).toBe(ruleSetHash(packs));
  });
});

describe('operator rule files', () => {
  it('accept JSON as well as YAML', () => {
    const path = packFile(
      JSON.stringify({
        name: 'site',
        version: '1.0.0',
        rules: [{ id: 'ticket', category: 'operator', regex: 'TCK-\\d+' }],
      }),
      'rules.json',
    );
    const redactor = createRedactor({ siteKey, settings: { rules: path } });
    expect(redactor.redactText('see TCK-42').text).toBe('see [REDACTED:ticket]');
  });

  it('reject an unknown key, naming the key and the file', () => {
    const create = load('name: site\nversion: 1.0.0\nrules:\n  - id: a\n    category: operator\n    regx: abc\n');
    expect(create).toThrow(expect.objectContaining({ code: 'SHIPLOG_ERR_REDACTION_RULES_INVALID' }));
    expect(create).toThrow(/rules\.0\.regx" unknown key/);
    expect(create).toThrow(/rules\.yaml/);
  });

  it('reject a wrong category or action, and a rule without a way to match', () => {
    expect(load('name: site\nversion: 1.0.0\nrules:\n  - id: a\n    category: other\n    regex: x\n')).toThrow(
      /rules\.0\.category/,
    );
    expect(
      load('name: site\nversion: 1.0.0\nrules:\n  - id: a\n    category: operator\n    regex: x\n    action: hide\n'),
    ).toThrow(/rules\.0\.action/);
    expect(load('name: site\nversion: 1.0.0\nrules:\n  - id: a\n    category: operator\n')).toThrow(
      /needs a regex, a literal or a field/,
    );
    expect(load('name: site\nversion: 1\nrules: []\n')).toThrow(/"version"/);
  });

  it('reject duplicate ids and broken YAML', () => {
    const dup =
      'name: site\nversion: 1.0.0\nrules:\n  - {id: a, category: operator, regex: x}\n  - {id: a, category: operator, regex: y}\n';
    expect(load(dup)).toThrow(/repeats the id "a"/);
    expect(load('name: site\nversion: [1.0.0\n')).toThrow(/not valid YAML or JSON/);
  });

  it('stop start-up on a regex that does not compile, naming the rule', () => {
    const create = load(
      'name: site\nversion: 1.0.0\nrules:\n  - id: broken-rule\n    category: operator\n    regex: "(unclosed"\n',
    );
    expect(create).toThrow(expect.objectContaining({ code: 'SHIPLOG_ERR_REDACTION_RULE_COMPILE' }));
    expect(create).toThrow(/"broken-rule"/);
    const badGroup = load(
      'name: site\nversion: 1.0.0\nrules:\n  - {id: g, category: operator, regex: "a(b)", group: value}\n',
    );
    expect(badGroup).toThrow(/no capture group "value"/);
  });

  it('report a missing file as unreadable', () => {
    expect(() => createRedactor({ siteKey, settings: { rules: '/nonexistent/rules.yaml' } })).toThrow(
      expect.objectContaining({ code: 'SHIPLOG_ERR_REDACTION_RULES_UNREADABLE' }),
    );
  });
});
