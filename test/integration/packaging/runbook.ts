// docs/operators.md, run as written: every `sh runbook` block, in document
// order, as root in bash with `set -euo pipefail`, against the kits that
// kit.test.ts built (the first to install, the second to upgrade to), one
// test per section. Between the blocks the test does only what the page
// tells the operator to do by hand (put the kit's tarball in an empty
// directory and go there) and checks what the operator would see: the
// agent's status and version, the bundle's verdict, the searches of the
// collector (the same JSON after a backup restored into a fresh data
// directory and a new process, though a bundle came in after the backup),
// and after the uninstall, nothing left. systemd is not PID 1 here, so
// `systemctl` is test/helpers/systemctl-stand-in.sh, which runs the installed
// unit files' ExecStart as their User. It also prints the time from the
// kit's tarball to an agent that answers `shiplog status`.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/cli.ts';
import { api } from '../../helpers/collector.ts';
import { installedVersion, removeShiplogFromHost, run, runCommand, waitFor } from '../../helpers/kit.ts';
import { parseRunbook, type RunbookBlock } from '../../helpers/runbook.ts';
import { tempDir } from '../../helpers/temp.ts';

export interface Kits {
  /** The version the runbook installs: unpacked, and the tarball as the site gets it. */
  firstVersion: string;
  first: string;
  firstTarball: string;
  /** The newer one, for "Upgrade". */
  upgradeVersion: string;
  upgrade: string;
  upgradeTarball: string;
}

const blocks = parseRunbook(readFileSync(join(repoRoot, 'docs/operators.md'), 'utf8'), 'docs/operators.md');
const sections = [...new Set(blocks.filter((block) => block.run).map((block) => block.section))];

/** The blocks this machine cannot run, by section: a new one must be added here on purpose. */
const notRunHere = [
  'Tell the agent where to send bundles',
  "Restore the collector's data and index",
  'Uninstall',
  'In containers instead',
  'In containers instead',
];

const portal = { url: 'http://127.0.0.1:8080' };
/** A word that only this run's container lines hold, and one for the bundle sent after the collector's backup. */
const marker = `rbk${process.pid}`;
const lateMarker = `late${marker}`;
const busybox = 'shiplog-test/busybox:latest';

interface BlockResult {
  block: RunbookBlock;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The operator's terminal: root, bash, a clean environment, one working directory carried from block to block. */
class OperatorShell {
  cwd = '/root';
  readonly state = tempDir('shiplog-runbook-');
  readonly systemd = join(this.state, 'systemd');
  private readonly bin = join(this.state, 'bin');

  constructor() {
    mkdirSync(this.bin);
    symlinkSync(join(repoRoot, 'test/helpers/systemctl-stand-in.sh'), join(this.bin, 'systemctl'));
  }

  async run(block: RunbookBlock): Promise<BlockResult> {
    const script = join(this.state, `block-${block.line}.sh`);
    const cwdFile = join(this.state, 'cwd');
    writeFileSync(script, `set -euo pipefail\n${block.script}pwd >'${cwdFile}'\n`);
    const started = Date.now();
    const result = await runCommand('bash', [script], {
      cwd: this.cwd,
      onlyEnv: {
        PATH: `${this.bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        HOME: '/root',
        LANG: 'C.UTF-8',
        SHIPLOG_SYSTEMCTL_STATE: this.systemd,
      },
    });
    if (result.code !== 0) {
      throw new Error(
        `docs/operators.md:${block.line} ("${block.section}") failed with ${result.code}:\n${block.script}\n` +
          `--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n${this.serviceLogs()}`,
      );
    }
    this.cwd = readFileSync(cwdFile, 'utf8').trim();
    const ms = Date.now() - started;
    console.log(`[runbook] ran docs/operators.md:${block.line} (${block.section}) in ${(ms / 1000).toFixed(1)} s`);
    return { block, stdout: result.stdout, stderr: result.stderr, ms };
  }

  /** The run blocks of a section, in order. */
  async section(name: string): Promise<BlockResult[]> {
    const results: BlockResult[] = [];
    for (const block of blocks) if (block.run && block.section === name) results.push(await this.run(block));
    return results;
  }

  /** What the services printed (the stand-in's stand-in for the journal), for a failure's message. */
  serviceLogs(): string {
    if (!existsSync(this.systemd)) return '';
    return readdirSync(this.systemd)
      .filter((name) => name.endsWith('.log'))
      .map(
        (name) =>
          `--- ${name} (last lines)\n${readFileSync(join(this.systemd, name), 'utf8').split('\n').slice(-15).join('\n')}`,
      )
      .join('\n');
  }

  /** Stops whatever the stand-in still runs (a runbook that failed half way). */
  async stopServices(): Promise<void> {
    if (!existsSync(this.systemd)) return;
    for (const name of readdirSync(this.systemd).filter((file) => file.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(this.systemd, name), 'utf8'));
      await runCommand('kill', ['-KILL', String(pid)]);
    }
  }
}

/** An empty directory holding a kit's tarball, as the page asks before "Install" and "Upgrade". */
function tarballInEmptyDirectory(tarball: string): string {
  const dir = tempDir('shiplog-runbook-operator-');
  copyFileSync(tarball, join(dir, basename(tarball)));
  return dir;
}

/** The first line of the section's last `shiplog status`, e.g. "shiplog agent 0.1.0, pid 42, up 0m01s, health ok". */
const statusLine = (results: BlockResult[]) =>
  (results.at(-1)?.stdout ?? '').split('\n').findLast((line) => line.startsWith('shiplog agent ')) ?? '';

const images = (version: string) => [`shiplog/agent:${version}`, `shiplog/collector:${version}`];
/** `shiplog status`'s first line for an agent of this version that is well. */
const healthyAgent = (version: string) =>
  new RegExp(`^shiplog agent ${version.replaceAll('.', '\\.')}, pid \\d+, up .*, health ok$`);

/** A container on the test dockerd whose lines the next bundle carries. */
async function containerSays(name: string, lines: string[]): Promise<void> {
  await run('docker', [
    'run',
    '--name',
    name,
    '--network',
    'none',
    busybox,
    'sh',
    '-c',
    lines.map((line) => `echo '${line}'`).join('; '),
  ]);
}

/** The searches whose answers must survive the collector's backup and restore, as JSON. */
const searchPaths = [
  `/api/v1/search?q=${marker}`,
  `/api/v1/search?q=${marker}&level=error`,
  `/api/v1/search?q=${marker}&order=desc&limit=2`,
  `/api/v1/search/facets?q=${marker}`,
  `/api/v1/search/histogram?q=${marker}&buckets=12`,
  '/api/v1/search?q=error',
  '/api/v1/bundles',
];

async function searches(token: string): Promise<Record<string, unknown>> {
  const answers: Record<string, unknown> = {};
  for (const path of searchPaths) {
    const { status, body } = await api(portal, token, path);
    expect(status, `${path}: ${JSON.stringify(body)}`).toBe(200);
    answers[path] = body;
  }
  return answers;
}

/** Waits until the collector has indexed `count` bundles; answers the search for the marker. */
async function indexed(token: string, count: number): Promise<{ total: number; hits: { message: string }[] }> {
  await waitFor(`${count} indexed bundles`, async () => {
    const { body } = await api(portal, token, '/api/v1/bundles');
    const bundles = (body.bundles ?? []) as { status: string }[];
    return bundles.length === count && bundles.every((bundle) => bundle.status === 'indexed') ? true : undefined;
  });
  return (await api(portal, token, `/api/v1/search?q=${marker}`)).body as never;
}

export function describeRunbook(up: boolean, kits: Kits): void {
  describe.skipIf(!up)('docs/operators.md, run as written', () => {
    const shell = new OperatorShell();
    const containers = [`shiplog-runbook-${process.pid}`, `shiplog-runbook-late-${process.pid}`];
    let readToken = '';
    let recorded: Record<string, unknown> = {};
    let installMs = 0;
    let failed = '';

    afterAll(async () => {
      await shell.stopServices();
      for (const name of containers) await runCommand('docker', ['rm', '-f', name]);
      // The first version's images stay, as `npm run kit` leaves them; the newer ones go.
      await runCommand('docker', ['rmi', ...images(kits.upgradeVersion)]);
      await removeShiplogFromHost();
    }, 120_000);

    /** What the operator does by hand before a section's blocks, and what they see after them. */
    const operator: Record<
      string,
      { before?: () => Promise<void>; after?: (results: BlockResult[]) => Promise<void> }
    > = {
      Install: {
        async before() {
          // The kit's images come from the kit (the kit test built them here).
          await run('docker', ['rmi', ...images(kits.firstVersion)]);
          shell.cwd = tarballInEmptyDirectory(kits.firstTarball);
        },
        async after(results) {
          installMs = results.reduce((sum, result) => sum + result.ms, 0);
          expect(results[0]?.stdout).toMatch(/install\.sh: OK/);
          expect(await installedVersion()).toBe(`installed ${kits.firstVersion}-1`);
          await run('docker', ['image', 'inspect', ...images(kits.firstVersion)]);
        },
      },
      'Start the agent and check that it works': {
        async after(results) {
          const line = statusLine(results);
          expect(line).toMatch(healthyAgent(kits.firstVersion));
          const pid = /pid (\d+)/.exec(line)?.[1] as string;
          expect((await run('ps', ['-o', 'user=', '-p', pid])).trim()).toBe('shiplog');
          // The operator's commands only, not this test's checks between them.
          const startMs = results.reduce((sum, result) => sum + result.ms, 0);
          console.log(
            `[runbook] kit tarball to an agent answering "shiplog status": ${((installMs + startMs) / 1000).toFixed(1)} s ` +
              `(Install: ${(installMs / 1000).toFixed(1)} s; systemctl enable --now until status answers: ${(startMs / 1000).toFixed(1)} s)`,
          );
        },
      },
      'Run the collector': {
        async after(results) {
          expect(results[0]?.stdout).toContain('{"ok":true');
          const token = statSync('/etc/shiplog/upload-token');
          expect(token.mode & 0o777).toBe(0o640);
          expect(readFileSync('/etc/shiplog/upload-token', 'utf8')).toMatch(/^slc_\S+\n$/);
          const made = await run('runuser', ['-u', 'shiplog-collector', '--', 'shiplog-collector', 'token', 'create', '--tenant', 'onsite', '--role', 'read', '--config', '/etc/shiplog/collector.yml']); // biome-ignore format: one command line
          readToken = made.trim().split('\n').at(-1) as string;
        },
      },
      'Make a bundle and send it': {
        async before() {
          await containerSays(containers[0] as string, [
            `first ${marker} started`,
            `second ${marker} error: disk full`,
            `third ${marker} done`,
          ]);
        },
        async after(results) {
          expect(results[0]?.stdout).toMatch(/^Uploaded \/var\/tmp\/shiplog-bundle\.tar\.gz /m);
          const found = await indexed(readToken, 1);
          expect(found.hits.map((hit) => hit.message)).toContain(`second ${marker} error: disk full`);
        },
      },
      'Verify a bundle': {
        async after(results) {
          expect(results[0]?.stdout).toMatch(/^OK {2}\/var\/tmp\/shiplog-bundle\.tar\.gz\n/);
          expect(results[0]?.stdout).toContain('a trusted key');
        },
      },
      Upgrade: {
        async before() {
          writeFileSync(
            '/etc/shiplog/agent.yml',
            `${readFileSync('/etc/shiplog/agent.yml', 'utf8')}# edited on site\n`,
          );
          await runCommand('docker', ['rmi', ...images(kits.upgradeVersion)]);
          shell.cwd = tarballInEmptyDirectory(kits.upgradeTarball);
        },
        async after(results) {
          expect(statusLine(results)).toMatch(healthyAgent(kits.upgradeVersion));
          expect(await installedVersion()).toBe(`installed ${kits.upgradeVersion}-1`);
          expect(readFileSync('/etc/shiplog/agent.yml', 'utf8')).toContain('# edited on site');
          await run('docker', ['image', 'inspect', ...images(kits.upgradeVersion)]);
        },
      },
      'Roll back': {
        async after(results) {
          expect(statusLine(results)).toMatch(healthyAgent(kits.firstVersion));
          expect(await installedVersion()).toBe(`installed ${kits.firstVersion}-1`);
          expect(readFileSync('/etc/shiplog/agent.yml', 'utf8')).toContain('# edited on site');
        },
      },
      "Back up the agent's data": {
        async after() {
          const listed = await run('tar', ['-tzf', '/var/tmp/shiplog-agent-backup.tar.gz']);
          expect(listed.split('\n')).toContain('shiplog/keys/bundle-signing');
        },
      },
      "Restore the agent's data": {
        async before() {
          writeFileSync('/var/lib/shiplog/written-after-the-backup', 'gone after the restore\n');
        },
        async after(results) {
          expect(statusLine(results)).toMatch(healthyAgent(kits.firstVersion));
          expect(existsSync('/var/lib/shiplog/written-after-the-backup')).toBe(false);
          // The host's signing key came back: a bundle from before the backup still verifies against it.
          await run('shiplog', ['verify', '--signer', '/var/lib/shiplog/keys/bundle-signing.pub', '/var/tmp/shiplog-bundle.tar.gz']); // biome-ignore format: one command line
        },
      },
      "Back up the collector's data and index": {
        async before() {
          recorded = await searches(readToken);
        },
        async after() {
          // Another day, another bundle: after the backup, so the restore must take it away again.
          await containerSays(containers[1] as string, [`${lateMarker} after the backup`]);
          await shell.section('Make a bundle and send it');
          await indexed(readToken, 2);
          expect((await api(portal, readToken, `/api/v1/search?q=${lateMarker}`)).body.total).toBe(1);
          expect(await searches(readToken)).not.toEqual(recorded);
        },
      },
      "Restore the collector's data and index": {
        async after() {
          expect(await searches(readToken)).toEqual(recorded);
          expect((recorded[`/api/v1/search?q=${marker}`] as { total: number }).total).toBeGreaterThan(0);
          expect((await api(portal, readToken, `/api/v1/search?q=${lateMarker}`)).body.total).toBe(0);
        },
      },
      Uninstall: {
        async after() {
          expect(await installedVersion()).toMatch(/^config-files /);
          expect(existsSync('/usr/bin/shiplog')).toBe(false);
          // Configuration and data stay.
          expect(existsSync('/etc/shiplog/agent.yml')).toBe(true);
          expect(existsSync('/var/lib/shiplog/keys/bundle-signing')).toBe(true);
          expect(existsSync('/var/lib/shiplog-collector/control.db')).toBe(true);
          expect(
            await fetch(`${portal.url}/healthz`).then(
              () => 'answers',
              () => 'silent',
            ),
          ).toBe('silent');
        },
      },
      'Remove configuration and data as well': {
        async after() {
          expect(await installedVersion()).toBe('');
          for (const path of [
            '/etc/shiplog',
            '/var/lib/shiplog',
            '/var/lib/shiplog-collector',
            '/var/lib/shiplog-kit',
          ]) {
            expect(existsSync(path), path).toBe(false);
          }
          expect((await runCommand('id', ['shiplog'])).code).not.toBe(0);
          expect((await runCommand('id', ['shiplog-collector'])).code).not.toBe(0);
        },
      },
    };

    it('marks every shell block, and says why it cannot run the others here', () => {
      const skipped = blocks.filter((block) => !block.run);
      for (const block of skipped)
        console.log(`[runbook] not run: docs/operators.md:${block.line} (${block.section}): ${block.reason}`);
      expect(skipped.map((block) => block.section)).toEqual(notRunHere);
      // Each section's blocks stand together: a heading used twice would run its blocks out of the page's order.
      const order = blocks.filter((block) => block.run).map((block) => block.section);
      expect(order.filter((section, i) => section !== order[i - 1])).toEqual(sections);
      // Every step the operator takes here belongs to a section that still exists, and runs in the page's order.
      expect(Object.keys(operator)).toEqual(sections);
    });

    for (const section of sections) {
      it(section, async () => {
        if (failed) throw new Error(`not run: "${failed}" failed before it`);
        try {
          await operator[section]?.before?.();
          const results = await shell.section(section);
          await operator[section]?.after?.(results);
        } catch (error) {
          failed = section;
          throw error;
        }
      }, 300_000);
    }
  });
}
