// `shiplog dump` end to end as on-site IT runs it, checked afterwards only
// with the tools every Linux host has: age, tar, sha256sum, ssh-keygen.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCommand, shiplog } from '../../helpers/cli.ts';
import { docker, TEST_IMAGE, TEST_LABELS } from '../../helpers/docker.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const ready = requireService('docker');
const secret = `Kx9${randomUUID().replaceAll('-', '').slice(0, 12)}`;
// The agent's own Elasticsearch password, which the operator's config holds.
const esPassword = `Zq7!pass word/${randomUUID().slice(0, 6)}`;
const encodings = (value: string) => [value, Buffer.from(value).toString('base64'), encodeURIComponent(value)];

describe.skipIf(!ready)('shiplog dump', () => {
  const name = `shiplog-dump-${randomUUID().slice(0, 8)}`;
  const dir = tempDir('shiplog-dump-');
  const env = { SHIPLOG_DATA_DIR: join(dir, 'data') };
  const config = join(dir, 'agent.yml');

  beforeAll(async () => {
    // The password is printed bare: only the runtime literal from the container's environment can catch it.
    const container = await docker().createContainer({
      name,
      Image: TEST_IMAGE,
      Env: [`DB_PASSWORD=${secret}`, 'TZ=Europe/Zurich'],
      Cmd: [
        'sh',
        '-c',
        `echo "connecting to ledger db with ${secret}"; echo "ledger ready"; echo "disk full" >&2; exit 3`,
      ],
      Labels: { ...TEST_LABELS },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    await container.wait();
    const now = new Date().toISOString();
    writeFileSync(
      join(dir, 'messages'),
      [
        `${now} app-01 ledger[7]: login from ops.night@zkb-ledger.ch`,
        `${now} app-01 shipper[9]: es auth header was ${Buffer.from(esPassword).toString('base64')}`,
        `${now} app-01 shipper[9]: GET /_bulk?pw=${encodeURIComponent(esPassword)} failed`,
        `${now} app-01 shipper[9]: retrying with ${esPassword}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      config,
      `sources:\n  files:\n    paths: [${join(dir, 'messages')}]\n` +
        `elasticsearch:\n  url: http://127.0.0.1:9\n  password: ${JSON.stringify(esPassword)}\n`,
    );
  });

  afterAll(async () => {
    await docker()
      .getContainer(name)
      .remove({ force: true })
      .catch(() => {});
  });

  it('writes an encrypted, signed bundle the standard tools open and check, with no secret in it', async () => {
    const key = join(dir, 'vendor.key');
    execFileSync('age-keygen', ['-o', key], { stdio: 'ignore' });
    const recipient = /public key: (age1\w+)/.exec(readFileSync(key, 'utf8'))?.[1] ?? '';
    const bundle = join(dir, 'bundle.tar.gz.age');
    const result = await shiplog(
      ['dump', '--config', config, '--containers', name, '--since', '1h', '--recipient', recipient, '--out', bundle],
      { env },
    );
    expect(result.stderr).toMatch(
      /Support bundle written to .*bundle\.tar\.gz\.age \(.*redacted and signed, encrypted/,
    );
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(bundle);

    const verified = await shiplog(['verify', bundle, '--identity', key], { env });
    expect(verified.stdout).toMatch(/^OK /);
    expect(verified.code).toBe(0);

    const out = join(dir, 'unpacked');
    execFileSync('sh', ['-c', `mkdir -p ${out} && age -d -i ${key} ${bundle} | tar -xz -C ${out}`]);
    expect(execFileSync('sha256sum', ['-c', '--strict', '--quiet', 'SHA256SUMS'], { cwd: out }).toString()).toBe('');
    writeFileSync(
      join(dir, 'allowed'),
      `shiplog namespaces="shiplog-bundle" ${readFileSync(join(out, 'signing-key.pub'), 'utf8')}`,
    );
    const signature = await runCommand(
      'sh',
      [
        '-c',
        `ssh-keygen -Y verify -f ${join(dir, 'allowed')} -I shiplog -n shiplog-bundle -s manifest.json.sig < manifest.json`,
      ],
      { cwd: out },
    );
    expect(signature.stdout).toContain('Good "shiplog-bundle" signature');

    const everything = execFileSync('sh', ['-c', `cat $(find ${out} -type f)`]).toString();
    for (const form of [...encodings(secret), ...encodings(esPassword)]) expect(everything).not.toContain(form);
    expect(everything).not.toContain('ops.night@zkb-ledger.ch');
    const logDir = readdirSync(join(out, 'containers'))[0] ?? '';
    const log = readFileSync(join(out, 'containers', logDir, 'container.log'), 'utf8');
    expect(log).toContain('connecting to ledger db with [REDACTED');
    expect(log).toMatch(/stderr disk full/);

    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.format_version).toBe(1);
    expect(manifest.redaction.rescan).toBe('clean');
    expect(manifest.redaction.by_category.secret).toBeGreaterThanOrEqual(1);
    expect(manifest.collectors.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(['docker_containers', 'container_logs', 'syslog_files', 'host']),
    );
    expect(readFileSync(join(out, 'SUMMARY.txt'), 'utf8')).toMatch(/RED\s+.*exited with code 3|RED\s+.*exit/);
  });

  it('refuses to release when an operator rule file weakens a built-in rule, leaving nothing at the output path', async () => {
    const rules = join(dir, 'weak-rules.yaml');
    writeFileSync(
      rules,
      [
        'name: site-overrides',
        'version: 1.0.0',
        'rules:',
        '  - id: secret-assignment',
        '    category: secret',
        '    keywords: [password]',
        "    regex: 'password=(?<value>\\S+)'",
        '    group: value',
        '    action: keep',
        '',
      ].join('\n'),
    );
    const weakDir = tempDir('shiplog-dump-weak-');
    writeFileSync(join(weakDir, 'messages'), `${new Date().toISOString()} app-01 ledger[7]: password=hunter2hunter2\n`);
    const weakConfig = join(weakDir, 'agent.yml');
    writeFileSync(
      weakConfig,
      `sources:\n  files:\n    paths: [${join(weakDir, 'messages')}]\nredaction:\n  rules: ${rules}\n`,
    );
    const out = join(weakDir, 'bundle.tar.gz');
    const result = await shiplog(['dump', '--config', weakConfig, '--containers', name, '--out', out], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[SHIPLOG_ERR_DUMP_RESCAN_FOUND]');
    expect(result.stderr).toContain('secret-assignment');
    expect(readdirSync(weakDir).filter((file) => file.includes('bundle'))).toEqual([]);
  });

  it('completes with Docker unreachable, marking those collectors failed in SUMMARY.txt', async () => {
    const out = join(dir, 'no-docker.tar.gz');
    const result = await shiplog(['dump', '--config', config, '--out', out], {
      env: { ...env, DOCKER_HOST: `unix://${join(dir, 'no-such-docker.sock')}` },
    });
    expect(result.code).toBe(0);
    const summary = execFileSync('tar', ['-xzOf', out, 'SUMMARY.txt']).toString();
    expect(summary).toMatch(/AMBER\s+collector docker_containers failed/);
    expect(summary).toMatch(/ok\s+syslog_files/);
  });

  it('gives the same pseudonym in two bundles of one site, and another on a site with another key', async () => {
    const pseudonymIn = async (dataDir: string, out: string) => {
      const result = await shiplog(['dump', '--config', config, '--containers', name, '--out', out], {
        env: { SHIPLOG_DATA_DIR: dataDir },
      });
      expect(result.code).toBe(0);
      const text = execFileSync('tar', ['-xzOf', out]).toString();
      return /login from (user-\w+@domain-\w+\.example)/.exec(text)?.[1];
    };
    const first = await pseudonymIn(join(dir, 'data'), join(dir, 'one.tar.gz'));
    const second = await pseudonymIn(join(dir, 'data'), join(dir, 'two.tar.gz'));
    const elsewhere = await pseudonymIn(join(dir, 'other-site'), join(dir, 'three.tar.gz'));
    expect(first).toMatch(/^user-\w+@domain-\w+\.example$/);
    expect(second).toBe(first);
    expect(elsewhere).not.toBe(first);
  });

  it('writes the bundle to standard output with --out -, every word for the person on stderr', async () => {
    const out = join(dir, 'piped.tar.gz');
    const piped = await runCommand(
      'sh',
      [
        '-c',
        `${join(repoRoot, 'node_modules/.bin/node')} ${join(repoRoot, 'bin/shiplog.js')} dump --config ${config} --containers ${name} --out - > ${out}`,
      ],
      { env },
    );
    expect(piped.code).toBe(0);
    expect(piped.stderr).toMatch(/Support bundle written to standard output/);
    const verified = await shiplog(['verify', out], { env });
    expect(verified.code).toBe(0);
  });

  it('lists what it would write with --dry-run, and writes nothing', async () => {
    const before = readdirSync(dir).length;
    const result = await shiplog(['dump', '--config', config, '--containers', name, '--dry-run'], { env, cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('SUMMARY.txt');
    expect(result.stdout).toMatch(/dry run: \d+ files would be written; nothing was written/);
    expect(readdirSync(dir).length).toBe(before);
  });

  it('refuses a recipient that is not an age key before collecting anything, leaving no file', async () => {
    const before = readdirSync(dir).length;
    const result = await shiplog(['dump', '--config', config, '--recipient', 'not-a-key'], { env, cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[SHIPLOG_ERR_BUNDLE_RECIPIENT]');
    expect(readdirSync(dir).length).toBe(before);
  });
});
