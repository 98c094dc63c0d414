// The offline install kit as a site gets it, built once (`npm run kit`, two
// versions) and checked from every side: what it holds, the .rpm read back, a
// tampered kit refused before anything is touched, install.sh installing the
// .deb on this machine (run again: nothing changes), an upgrade to a second
// kit and the rollback with configuration and data kept, and both images run
// against the test dockerd (HEALTHCHECK healthy; a container's lines reach
// the agent's spool; a bundle made inside the container describes this
// host). Then, on the same two kits, the operators' runbook run as written
// (./runbook.ts). Whatever the host held at shiplog's paths is set aside
// first and put back at the end; everything installed is removed.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildKit,
  dpkgField,
  installedVersion,
  putHostBack,
  removeShiplogFromHost,
  run,
  runCommand,
  setHostAside,
  unpackKit,
  waitFor,
} from '../../helpers/kit.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';
import { describeRunbook, type Kits } from './runbook.ts';

const busybox = 'shiplog-test/busybox:latest';
const upgradeVersion = '0.1.1';
const up = requireService('docker');
const kits: Kits = {
  firstVersion: '0.1.0',
  first: '',
  firstTarball: '',
  upgradeVersion,
  upgrade: '',
  upgradeTarball: '',
};

beforeAll(async () => {
  if (!up) return;
  expect(await installedVersion(), 'shiplog must not be installed on this machine before the test').not.toMatch(
    /^installed/,
  );
  setHostAside();
  kits.firstTarball = await buildKit(tempDir('shiplog-kit-out-'));
  expect(kits.firstTarball).toMatch(/shiplog-kit-[\d.]+\.tar$/);
  kits.upgradeTarball = await buildKit(tempDir('shiplog-kit-out-'), upgradeVersion);
  kits.first = unpackKit(kits.firstTarball, tempDir('shiplog-kit-'));
  kits.upgrade = unpackKit(kits.upgradeTarball, tempDir('shiplog-kit-'));
}, 900_000);

afterAll(async () => {
  if (!up) return;
  await removeShiplogFromHost();
  putHostBack();
}, 120_000);

describe.skipIf(!up)('the offline install kit', () => {
  const containers: string[] = [];

  afterAll(async () => {
    for (const name of containers) await runCommand('docker', ['rm', '-f', '-v', name]);
    await runCommand('docker', ['rmi', `shiplog/agent:${upgradeVersion}`, `shiplog/collector:${upgradeVersion}`]);
    await removeShiplogFromHost();
  }, 120_000);

  it('holds the signed checksums, the installer, one .deb, one .rpm and both images', async () => {
    const names = readdirSync(kits.first).sort();
    for (const name of ['SHA256SUMS', 'SHA256SUMS.sig', 'install.sh', 'INSTALL.md']) expect(names).toContain(name);
    expect(names.filter((name) => name.endsWith('.deb'))).toHaveLength(1);
    expect(names.filter((name) => name.endsWith('.rpm'))).toHaveLength(1);
    expect(names.filter((name) => name.endsWith('.image.tar.gz'))).toHaveLength(2);
    await run('sh', ['-c', `cd '${kits.first}' && sha256sum -c SHA256SUMS`]);
    await run('sh', [
      '-c',
      `cd '${kits.first}' && ssh-keygen -Y verify -f allowed_signers -I shiplog-release -n shiplog-kit -s SHA256SUMS.sig < SHA256SUMS`,
    ]);
  });

  it('has an .rpm that puts shiplog and its own Node under /opt/shiplog, with config files and scripts', async () => {
    const rpm = join(kits.first, readdirSync(kits.first).find((name) => name.endsWith('.rpm')) as string);
    const list = (await run('rpm', ['-qpl', rpm])).split('\n');
    for (const path of [
      '/opt/shiplog/node/bin/node',
      '/opt/shiplog/bin/shiplog.js',
      '/usr/bin/shiplog',
      '/usr/bin/shiplog-collector',
      '/usr/lib/systemd/system/shiplog-agent.service',
      '/usr/lib/systemd/system/shiplog-collector.service',
    ]) {
      expect(list).toContain(path);
    }
    expect((await run('rpm', ['-qpc', rpm])).split('\n')).toEqual(
      expect.arrayContaining(['/etc/shiplog/agent.yml', '/etc/shiplog/collector.yml']),
    );
    const scripts = await run('rpm', ['-qp', '--scripts', rpm]);
    expect(scripts).toContain('useradd --system');
    expect(scripts).toContain('usermod -a -G docker shiplog');
    expect(await run('rpm', ['-K', rpm])).toMatch(/digests OK/);
  });

  it('refuses a tampered kit before it touches anything', async () => {
    const altered = join(tempDir('shiplog-kit-bad-'), 'kit');
    cpSync(kits.first, altered, { recursive: true });
    const deb = join(altered, readdirSync(altered).find((name) => name.endsWith('.deb')) as string);
    appendFileSync(deb, 'x');
    const broken = await runCommand(join(altered, 'install.sh'), []);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain('does not match SHA256SUMS');

    // Checksums made to match, but then the signature does not.
    const sums = readFileSync(join(altered, 'SHA256SUMS'), 'utf8');
    const hash = execFileSync('sha256sum', [deb], { encoding: 'utf8' }).split(' ')[0] as string;
    writeFileSync(join(altered, 'SHA256SUMS'), sums.replace(/^[0-9a-f]{64}(?= {2}shiplog_.*\.deb$)/m, hash));
    const unsigned = await runCommand(join(altered, 'install.sh'), []);
    expect(unsigned.code).not.toBe(0);
    expect(unsigned.stderr).toContain('signature of SHA256SUMS does not verify');

    expect(await installedVersion()).not.toMatch(/^installed/);
    expect(existsSync('/var/lib/shiplog-kit')).toBe(false);
    expect(existsSync('/etc/shiplog/kit-signers')).toBe(false);
  });

  it('installs the .deb: shiplog on the PATH on its own Node, units that verify; run again, nothing changes', async () => {
    const installed = await runCommand(join(kits.first, 'install.sh'), []);
    expect(installed.code, installed.stderr).toBe(0);
    expect(await installedVersion()).toMatch(/^installed 0\.1\.0-1$/);
    // No node on the PATH at all: the package's own runs.
    const bare = { PATH: '/var/empty' };
    expect((await run('/usr/bin/shiplog', ['--version'], bare)).trim()).toBe('0.1.0');
    expect((await run('/usr/bin/shiplog-collector', ['--version'], bare)).trim()).toBe('0.1.0');
    expect(await run('/opt/shiplog/node/bin/node', ['--version'])).toMatch(/^v24\./);
    const dry = await runCommand('shiplog', ['dump', '--dry-run'], { cwd: tempDir() });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/nothing was written/);
    await run('systemd-analyze', [
      'verify',
      '/usr/lib/systemd/system/shiplog-agent.service',
      '/usr/lib/systemd/system/shiplog-collector.service',
    ]);
    expect(await run('dpkg-query', ['-W', '-f', dpkgField('Conffiles'), 'shiplog'])).toMatch(
      /\/etc\/shiplog\/agent\.yml[\s\S]*\/etc\/shiplog\/collector\.yml/,
    );
    expect(await run('id', ['-nG', 'shiplog'])).toMatch(/\bdocker\b/);

    const before = statSync('/var/lib/dpkg/info/shiplog.list').mtimeMs;
    const again = await runCommand(join(kits.first, 'install.sh'), []);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already installed; nothing to do');
    expect(statSync('/var/lib/dpkg/info/shiplog.list').mtimeMs).toBe(before);
  });

  it('upgrades to a newer kit and rolls back, keeping configuration and data', async () => {
    appendFileSync('/etc/shiplog/agent.yml', '# edited on site\n');
    writeFileSync('/var/lib/shiplog/site-data', 'kept\n');
    // The newer kit's images are loaded from the kit, not found already built.
    await run('docker', ['rmi', `shiplog/agent:${upgradeVersion}`, `shiplog/collector:${upgradeVersion}`]);

    const upgraded = await runCommand(join(kits.upgrade, 'install.sh'), ['--upgrade']);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(await installedVersion()).toBe(`installed ${upgradeVersion}-1`);
    expect((await run('shiplog', ['--version'])).trim()).toBe(upgradeVersion);
    await run('docker', ['image', 'inspect', `shiplog/agent:${upgradeVersion}`, `shiplog/collector:${upgradeVersion}`]);
    expect(readFileSync('/etc/shiplog/agent.yml', 'utf8')).toContain('# edited on site');

    const back = await runCommand(join(kits.upgrade, 'install.sh'), ['--rollback']);
    expect(back.code, back.stderr).toBe(0);
    expect(await installedVersion()).toBe('installed 0.1.0-1');
    expect((await run('shiplog', ['--version'])).trim()).toBe('0.1.0');
    expect(readFileSync('/etc/shiplog/agent.yml', 'utf8')).toContain('# edited on site');
    expect(readFileSync('/var/lib/shiplog/site-data', 'utf8')).toBe('kept\n');
  });

  it('runs the agent image: healthy, a container reaches its spool, a bundle inside describes the host', async () => {
    const agent = `shiplog-kit-agent-${process.pid}`;
    containers.push(agent);
    const socketGroup = String(statSync('/var/run/docker.sock').gid);
    await run('docker', [
      'run', '-d', '--name', agent, '--network', 'none', '--group-add', socketGroup, '--health-interval', '1s',
      '-v', '/var/run:/run/docker-host:ro', '-v', '/var/log:/var/log:ro', '-v', '/:/host:ro',
      'shiplog/agent:0.1.0',
    ]); // biome-ignore format: docker's flags read best in pairs
    await waitFor('the agent container to be healthy', async () =>
      (await run('docker', ['inspect', '-f', '{{.State.Health.Status}}', agent])).trim() === 'healthy'
        ? true
        : undefined,
    );

    const marker = `kit-marker-${process.pid}`;
    const writer = `shiplog-kit-writer-${process.pid}`;
    containers.push(writer);
    await run('docker', ['run', '--name', writer, '--network', 'none', busybox, 'echo', marker]);

    const unpacked = await waitFor('the marker line in a bundle made inside the container', async () => {
      await run('docker', ['exec', agent, 'shiplog', 'dump', '--force', '--out', '/var/lib/shiplog/test.tar.gz']);
      const dir = tempDir('shiplog-kit-bundle-');
      await run('docker', ['cp', `${agent}:/var/lib/shiplog/test.tar.gz`, join(dir, 'bundle.tar.gz')]);
      execFileSync('tar', ['-C', dir, '-xzf', join(dir, 'bundle.tar.gz')]);
      const found = execFileSync('grep', ['-rl', marker, dir], { encoding: 'utf8' }).trim();
      return found ? dir : undefined;
    });
    const facts = JSON.parse(readFileSync(join(unpacked, 'host/host.json'), 'utf8'));
    const containerName = (await run('docker', ['exec', agent, 'cat', '/etc/hostname'])).trim();
    expect(containerName).not.toBe(hostname());
    expect(facts.hostname).toBe(hostname());
    expect(JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')).host.name).toBe(hostname());
    expect(facts.disks.map((disk: { mount: string }) => disk.mount)).toContain('/');
  });

  it('runs the collector image: healthy on /healthz', async () => {
    const collector = `shiplog-kit-collector-${process.pid}`;
    containers.push(collector);
    await run('docker', [
      'run',
      '-d',
      '--name',
      collector,
      '--network',
      'none',
      '--health-interval',
      '1s',
      'shiplog/collector:0.1.0',
    ]);
    await waitFor('the collector container to be healthy', async () =>
      (await run('docker', ['inspect', '-f', '{{.State.Health.Status}}', collector])).trim() === 'healthy'
        ? true
        : undefined,
    );
    expect(await run('docker', ['exec', collector, 'id', '-un'])).toBe('shiplog\n');
  });
});

describeRunbook(up, kits);
