// `shiplog redact` as an operator runs it: text piped in, redacted text out.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, shiplog } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const input = [
  '2024-03-14T10:11:12Z INFO login ok user=ann.lee@bank.co.uk from 10.44.7.201',
  '2024-03-14T10:11:13Z DEBUG headers: Authorization: Bearer dGhpcy1pcy1ub3QtYS1yZWFsLXRva2VuLTQy',
  '',
  'time=2024-03-14T10:11:14Z level=error msg="db down" url=postgres://ledger:Pw-9fK2mQx7@db01.bank.internal:5432/ledger\r',
  '2024-03-14T10:11:15Z INFO build 9fceb02d0ae598e95dc970b74767f19372d61af8 image sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
  'last line without newline',
].join('\n');

function env(dataDir: string): NodeJS.ProcessEnv {
  return { SHIPLOG_DATA_DIR: dataDir, SHIPLOG_REDACTION_RULES: '', SHIPLOG_REDACTION_PERSONAL: '' };
}

describe('shiplog redact', () => {
  it('writes one redacted line per input line and a report of counts', async () => {
    const dir = tempDir('shiplog-e2e-redact-');
    const report = join(dir, 'report.json');
    const result = await shiplog(['redact', '--report', report], { input, env: env(dir) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(input.split('\n').length);
    expect(lines[0]).toMatch(
      /^2024-03-14T10:11:12Z INFO login ok user=user-[a-z2-7]{8}@domain-[a-z2-7]{8}\.example from 198\.1[89]\.\d+\.\d+$/,
    );
    expect(lines[1]).toBe('2024-03-14T10:11:13Z DEBUG headers: Authorization: Bearer [REDACTED:authorization-header]');
    expect(lines[2]).toBe('');
    expect(lines[3]).toBe(
      'time=2024-03-14T10:11:14Z level=error msg="db down" url=postgres://ledger:[REDACTED:url-password]@db01.bank.internal:5432/ledger\r',
    );
    expect(lines[4]).toBe(input.split('\n')[4]);
    expect(lines[5]).toBe('last line without newline');

    const written = JSON.parse(readFileSync(report, 'utf8'));
    expect(written.lines).toBe(6);
    expect(written.counts).toEqual({
      total: 4,
      by_category: { secret: 2, personal: 2, operator: 0 },
      by_rule: { 'authorization-header': 1, email: 1, ipv4: 1, 'url-password': 1 },
    });
    expect(written.rule_set.packs.map((pack: { name: string }) => pack.name)).toEqual([
      'credentials',
      'keep',
      'personal',
    ]);
    expect(written.pseudonym_key_id).toMatch(/^[0-9a-f]{16}$/);
    const key = readFileSync(join(dir, 'keys', 'pseudonym.key'), 'utf8').trim();
    expect(statSync(join(dir, 'keys', 'pseudonym.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(report, 'utf8')).not.toContain(key);
  });

  it('gives the same pseudonyms on a second run with the same data directory', async () => {
    const dir = tempDir('shiplog-e2e-redact-');
    const first = await shiplog(['redact'], { input, env: env(dir) });
    const second = await shiplog(['redact'], { input, env: env(dir) });
    expect(second.stdout).toBe(first.stdout);
  });

  it('keeps line count and order on a large input spread over worker threads', async () => {
    const dir = tempDir('shiplog-e2e-redact-');
    const lines: string[] = [];
    for (let i = 0; lines.length < 200_000; i++) {
      lines.push(
        `2024-03-14T10:11:12.${String(i % 1000).padStart(3, '0')}Z INFO seq=${i} client 10.1.${i % 256}.${i % 200} ok`,
      );
      if (i % 50 === 0) lines.push(`2024-03-14T10:11:12Z DEBUG seq=${i} password=Secret${i}xyz`);
    }
    const big = `${lines.join('\n')}\n`;
    const result = await shiplog(['redact'], { input: Buffer.from(big), env: env(dir) });
    expect(result.code).toBe(0);
    const out = result.stdout.split('\n');
    expect(out).toHaveLength(lines.length + 1);
    expect(result.stdout).not.toMatch(/Secret\d+xyz/);
    expect(out[123_456]?.split(' seq=')[1]?.split(' ')[0]).toBe(lines[123_456]?.split(' seq=')[1]?.split(' ')[0]);
  });

  it('reads standard input redirected from a file the same way as from a pipe', async () => {
    const dir = tempDir('shiplog-e2e-redact-');
    const file = join(dir, 'in.log');
    writeFileSync(file, `${input}\n`.repeat(3));
    const fromPipe = await shiplog(['redact'], { input: readFileSync(file), env: env(dir) });
    const fd = openSync(file, 'r');
    try {
      const fromFile = await new Promise<string>((resolve, reject) => {
        const child = spawn(join(repoRoot, 'node_modules/.bin/node'), [join(repoRoot, 'bin/shiplog.js'), 'redact'], {
          cwd: repoRoot,
          env: { ...process.env, ...env(dir) },
          stdio: [fd, 'pipe', 'inherit'],
        });
        const out: Buffer[] = [];
        child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve(Buffer.concat(out).toString()) : reject(new Error(`exit ${code}`)),
        );
      });
      expect(fromFile).toBe(fromPipe.stdout);
    } finally {
      closeSync(fd);
    }
  });

  it('with --scan changes nothing, lists findings, and exits 3 when there are any', async () => {
    const dir = tempDir('shiplog-e2e-redact-');
    const found = await shiplog(['redact', '--scan'], { input, env: env(dir) });
    expect(found.code).toBe(3);
    const source = input.split('\n');
    const column = (line: number, text: string) => (source[line - 1]?.indexOf(text) ?? -2) + 1;
    expect(found.stdout.split('\n').filter(Boolean)).toEqual([
      `1:${column(1, 'ann.lee@')} email personal`,
      `1:${column(1, '10.44.7.201')} ipv4 personal`,
      `2:${column(2, 'dGhpcy1p')} authorization-header secret`,
      `4:${column(4, 'Pw-9fK2mQx7')} url-password secret`,
    ]);
    const clean = await shiplog(['redact', '--scan'], { input: 'nothing to see here\n', env: env(dir) });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe('');
  });

  it('takes operator rules and actions from the agent configuration, and redacts its secrets', async () => {
    const dir = tempDir('shiplog-e2e-redact-');
    writeFileSync(
      join(dir, 'rules.yaml'),
      'name: site\nversion: 1.0.0\nrules:\n  - id: customer\n    category: operator\n    literal: Acme Bank\n',
    );
    writeFileSync(
      join(dir, 'agent.yaml'),
      'redaction:\n  rules: rules.yaml\n  personal: keep\nelasticsearch:\n  url: https://es.bank.internal:9200\n  password: Es-Sup3r-Secret\n',
    );
    const result = await shiplog(['redact', '--config', join(dir, 'agent.yaml')], {
      input: 'Acme Bank from 10.1.2.3 sent Es-Sup3r-Secret\n',
      env: env(dir),
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('[REDACTED:customer] from 10.1.2.3 sent [REDACTED:runtime-literal]\n');
  });

  it('exits non-zero with the code on a bad rule file', async () => {
    const dir = tempDir('shiplog-e2e-redact-');
    writeFileSync(
      join(dir, 'bad.yaml'),
      'name: site\nversion: 1.0.0\nrules:\n  - id: broken\n    category: operator\n    regex: "([a-z]+"\n',
    );
    const compile = await shiplog(['redact'], {
      input,
      env: { ...env(dir), SHIPLOG_REDACTION_RULES: join(dir, 'bad.yaml') },
    });
    expect(compile.code).toBe(1);
    expect(compile.stdout).toBe('');
    expect(compile.stderr).toContain('redaction rule "broken"');
    expect(compile.stderr).toContain('[SHIPLOG_ERR_REDACTION_RULE_COMPILE]');
    expect(compile.stderr).not.toMatch(/\n\s+at /);

    writeFileSync(join(dir, 'unknown.yaml'), 'name: site\nversion: 1.0.0\nrulez: []\n');
    const invalid = await shiplog(['redact'], {
      input,
      env: { ...env(dir), SHIPLOG_REDACTION_RULES: join(dir, 'unknown.yaml') },
    });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('"rulez" unknown key');
    expect(invalid.stderr).toContain('[SHIPLOG_ERR_REDACTION_RULES_INVALID]');
  });

  it('explains its options with --help and rejects unknown ones', async () => {
    const help = await shiplog(['redact', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--report FILE');
    const bad = await shiplog(['redact', '--reprot', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('[SHIPLOG_ERR_USAGE]');
  });
});
