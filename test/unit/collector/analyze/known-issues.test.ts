import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownIssue } from '../../../../collector/analyze/analyzers/known-issue.ts';
import { compileKnownIssues, globExpression, imageMatches } from '../../../../collector/analyze/known-issues/rules.ts';
import { knownIssueSource } from '../../../../collector/analyze/known-issues/source.ts';
import { inRange, parseRange, tagVersion } from '../../../../collector/analyze/known-issues/versions.ts';
import { tempDir } from '../../../helpers/temp.ts';
import { analyze, containerLog, craftBundle, inspect } from './crafted-bundle.ts';

const rulesYaml = `
rules:
  - id: ledger-pool-leak
    title: Ledger leaks database connections (LED-412)
    severity: critical
    signature:
      regex: 'HikariPool-\\d+ - Connection is not available, request timed out after \\d+ms'
    images: ['acme/ledger*']
    versions: '>=2.3.0 <2.3.4 || 2.4.0'
    hint: Upgrade to 2.3.4, or restart the ledger nightly until then.
    link: https://support.acme.test/kb/LED-412
  - id: gateway-upstream-reset
    title: Gateway resets upstream connections under load
    signature:
      template: 'upstream <*> reset after <NUM> requests'
    images: ['*/gateway']
    hint: Raise keepalive_requests in gateway.conf.
  - id: any-disk-full
    title: A process found its disk full
    severity: info
    signature:
      regex: 'no space left on device'
      ignore_case: true
    hint: See the disk-pressure findings.
`;

function bundleWith(): ReturnType<typeof craftBundle> {
  const poolLine = 'HikariPool-1 - Connection is not available, request timed out after 30000ms.';
  return craftBundle({
    'containers/ledger/inspect.json': inspect('ledger', {}, { image: 'registry.acme.test:5000/acme/ledger:2.3.1' }),
    'containers/ledger/container.log': containerLog(['started', poolLine, poolLine, 'ok']),
    // The same line from a version outside the range: not this issue.
    'containers/ledger-old/inspect.json': inspect('ledger-old', {}, { image: 'acme/ledger:2.2.9' }),
    'containers/ledger-old/container.log': containerLog([poolLine]),
    // The same line from another product: not this issue either.
    'containers/billing/inspect.json': inspect('billing', {}, { image: 'acme/billing:2.3.1' }),
    'containers/billing/container.log': containerLog([poolLine]),
    'containers/gw/inspect.json': inspect('gw', {}, { image: 'edge/gateway:latest' }),
    'containers/gw/container.log': containerLog([
      'upstream 10.1.2.3:8080 reset after 1000 requests',
      'upstream payments reset after 77 requests',
      'upstream payments reset after 77 requests and more',
    ]),
    'syslog/messages': '2025-06-01T11:00:00+00:00 app-01 backup[9]: write failed: No Space Left On Device\n',
  });
}

function rulesFile(text: string): string {
  const path = join(tempDir('shiplog-known-'), 'known-issues.yaml');
  writeFileSync(path, text);
  return path;
}

describe('known-issue rules on a bundle', () => {
  it('matches by regex, template, image glob and version range, naming the rule with its hint and link', async () => {
    const source = knownIssueSource(rulesFile(rulesYaml));
    const findings = await analyze(bundleWith(), { analyzers: [knownIssue], knownIssues: source });
    expect(findings.map((f) => [f.key, f.severity])).toEqual([
      ['known-issue:ledger-pool-leak', 'critical'],
      ['known-issue:gateway-upstream-reset', 'warning'],
      ['known-issue:any-disk-full', 'info'],
    ]);
    const [leak, gateway, disk] = findings;
    expect(leak?.title).toBe('Ledger leaks database connections (LED-412) (2 lines in ledger)');
    expect(leak?.detail).toContain('Upgrade to 2.3.4');
    expect(leak?.detail).toContain('https://support.acme.test/kb/LED-412');
    expect(leak?.detail).toContain('registry.acme.test:5000/acme/ledger:2.3.1');
    expect(leak?.evidence).toEqual([
      { kind: 'line', file: 'containers/ledger/container.log', line: 2 },
      { kind: 'line', file: 'containers/ledger/container.log', line: 3 },
    ]);
    expect(gateway?.evidence).toEqual([
      { kind: 'line', file: 'containers/gw/container.log', line: 1 },
      { kind: 'line', file: 'containers/gw/container.log', line: 2 },
    ]);
    expect(disk?.evidence).toEqual([{ kind: 'line', file: 'syslog/messages', line: 1 }]);
  });

  it('does nothing without a rules file', async () => {
    const source = knownIssueSource(join(tempDir('shiplog-known-'), 'absent.yaml'));
    expect(await analyze(bundleWith(), { analyzers: [knownIssue], knownIssues: source })).toEqual([]);
    expect(await analyze(bundleWith(), { analyzers: [knownIssue] })).toEqual([]);
  });

  it('reloads the file when it changes, without a restart', async () => {
    const path = rulesFile(rulesYaml);
    const source = knownIssueSource(path);
    expect(source.current().rules).toHaveLength(3);
    writeFileSync(path, 'rules:\n  - id: only-one\n    title: One\n    signature: { regex: started }\n    hint: h\n');
    // Same size or same second must not hide a change: push the time forward explicitly.
    utimesSync(path, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const findings = await analyze(bundleWith(), { analyzers: [knownIssue], knownIssues: source });
    expect(findings.map((f) => f.key)).toEqual(['known-issue:only-one']);
  });

  it('keeps the previous rules when the file turns bad, says so, and recovers when it is fixed', async () => {
    const path = rulesFile(rulesYaml);
    const source = knownIssueSource(path);
    expect(source.current().problem).toBeUndefined();
    const bad: Array<[string, RegExp]> = [
      ['rules: [ {id: x', /not valid YAML/],
      [
        'rules:\n  - id: x\n    title: t\n    signature: { regex: a }\n    hint: h\n    colour: red\n',
        /"rules\.0\.colour" unknown key/,
      ],
      [
        'rules:\n  - id: x\n    title: t\n    signature: { regex: "a(" }\n    hint: h\n',
        /rule "x": its regex does not compile/,
      ],
      [
        'rules:\n  - id: x\n    title: t\n    signature: { regex: a }\n    versions: ">=1.0.0-rc1"\n    hint: h\n',
        /rule "x": .*pre-release/,
      ],
      [
        'rules:\n  - {id: x, title: t, signature: {regex: a}, hint: h}\n  - {id: x, title: u, signature: {regex: b}, hint: h}\n',
        /the id "x" is used twice/,
      ],
    ];
    let tick = Date.now();
    for (const [text, problem] of bad) {
      writeFileSync(path, text);
      tick += 5000;
      utimesSync(path, new Date(tick), new Date(tick));
      const loaded = source.current();
      expect(loaded.problem).toMatch(problem);
      expect(loaded.rules.map((rule) => rule.id)).toEqual([
        'ledger-pool-leak',
        'gateway-upstream-reset',
        'any-disk-full',
      ]);
      const findings = await analyze(bundleWith(), { analyzers: [knownIssue], knownIssues: source });
      expect(findings.map((f) => f.key)).toContain('known-issue:ledger-pool-leak');
      expect(findings.find((f) => f.key === 'known-issue:rules-file')?.detail).toMatch(problem);
    }
    writeFileSync(path, 'rules: []\n');
    utimesSync(path, new Date(tick + 5000), new Date(tick + 5000));
    const fixed = source.current();
    expect(fixed.rules).toEqual([]);
    expect(fixed.problem).toBeUndefined();
  });
});

describe('rule parts', () => {
  it('reads version ranges as npm does, over the versions image tags carry', () => {
    const table: Array<[string, string, boolean]> = [
      ['>=2.3.0 <2.3.4', '2.3.3', true],
      ['>=2.3.0 <2.3.4', '2.3.4', false],
      ['>=2.3.0 <2.3.4', 'v2.3.0-alpine', true],
      ['2.3.x', '2.3.9', true],
      ['2.3.x', '2.4.0', false],
      ['2', '2.9.1', true],
      ['*', '0.0.1', true],
      ['~1.4.1', '1.4.7', true],
      ['~1.4.1', '1.5.0', false],
      ['^1.2.3', '1.9.0', true],
      ['^1.2.3', '2.0.0', false],
      ['^0.2.3', '0.2.9', true],
      ['^0.2.3', '0.3.0', false],
      ['^0.0.3', '0.0.4', false],
      ['1.2.3 - 2.3', '2.3.9', true],
      ['1.2.3 - 2.3', '2.4.0', false],
      ['>1.2', '1.2.9', false],
      ['>1.2', '1.3.0', true],
      ['<=1.2', '1.2.9', true],
      ['<1.0.0 || >=3', '3.1', true],
      ['<1.0.0 || >=3', '2.0', false],
      ['>= 1.0', '1.0', true],
      ['1.0.0', 'latest', false],
    ];
    for (const [range, tag, expected] of table) {
      const version = tagVersion(tag);
      expect(version !== undefined && inRange(version, parseRange(range)), `${tag} in ${range}`).toBe(expected);
    }
    expect(() => parseRange('>=banana')).toThrow(/not a version/);
  });

  it('matches image globs with or without the registry', () => {
    const globs = ['acme/ledger*', '*/gateway', 'nginx'].map(globExpression);
    expect(imageMatches('acme/ledger', globs)).toBe(true);
    expect(imageMatches('acme/ledger-api', globs)).toBe(true);
    expect(imageMatches('registry.acme.test:5000/acme/ledger', globs)).toBe(true);
    expect(imageMatches('docker.io/library/nginx', globs)).toBe(true);
    expect(imageMatches('acme/billing', globs)).toBe(false);
    expect(imageMatches('acme/ledger.backup/x', [globExpression('acme/ledger.backup?x')])).toBe(true);
    expect(imageMatches('acme/ledgerXbackup/x', [globExpression('acme/ledger.backup/x')])).toBe(false);
  });

  it('masks a template signature like the lines it is compared with', () => {
    const [rule] = compileKnownIssues(
      Buffer.from('rules:\n  - {id: t, title: t, signature: {template: "timeout after 30s on 10.0.0.1"}, hint: h}\n'),
      'test.yaml',
    ).rules;
    expect(rule?.template).toEqual(['timeout', 'after', '<DUR>', 'on', '<IP>']);
  });
});
