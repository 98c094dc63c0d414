// `npm run bench -- kit` (as root): the time from the kit's tarball to an
// agent that answers, running docs/operators.md's "Install" and "Start the
// agent and check that it works" blocks as they stand (unpack, sha256sum -c,
// install.sh: signature, checksums, the .deb, `docker load` of both images;
// then the agent started as its unit file says, by the runbook test's
// systemctl stand-in, and `shiplog status --wait 60s`). Beside it, the same
// end state with no kit: `tar -x`, `dpkg -i` of the .deb and `docker load`
// of the two images, unchecked, then the same start: what the kit's checks
// cost. `docker load`'s work happens in dockerd, so the CPU column misses it.
// The kit is $SHIPLOG_BENCH_KIT, else one `npm run kit` builds first (not
// measured). What the host holds at shiplog's paths is set aside and put back.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildKit, installedVersion, putHostBack, removeShiplogFromHost, setHostAside } from '../test/helpers/kit.ts';
import { parseRunbook } from '../test/helpers/runbook.ts';
import { type BenchRow, type BenchSuite, ensureService, measureProcess, type ProcessMeasure, row } from './harness.ts';

const ROOT = join(import.meta.dirname, '..');
const runbookSections = ['Install', 'Start the agent and check that it works'];

/** The runbook's blocks of those sections, after a `cd` into the directory that holds the tarball. */
function runbookScript(): string {
  const blocks = parseRunbook(readFileSync(join(ROOT, 'docs/operators.md'), 'utf8'), 'docs/operators.md');
  const wanted = blocks.filter((block) => block.run && runbookSections.includes(block.section));
  if (new Set(wanted.map((block) => block.section)).size !== runbookSections.length) {
    throw new Error(`docs/operators.md no longer has the sections ${runbookSections.join(', ')}`);
  }
  return `set -euo pipefail\ncd "$1"\n${wanted.map((block) => block.script).join('')}`;
}

const bareScript = [
  'set -euo pipefail',
  'cd "$1"',
  'tar -xf shiplog-kit-*.tar',
  'cd shiplog-kit-*/',
  'DEBIAN_FRONTEND=noninteractive dpkg -i shiplog_*.deb',
  'docker load -i shiplog-agent-*.image.tar.gz',
  'docker load -i shiplog-collector-*.image.tar.gz',
  'systemctl enable --now shiplog-agent',
  'shiplog status --wait 60s',
  '',
].join('\n');

const suite: BenchSuite = {
  name: 'kit',
  async run(ctx) {
    if (process.getuid?.() !== 0) throw new Error('the kit benchmark installs the .deb: run it as root');
    ensureService('docker');
    if ((await installedVersion()).startsWith('installed')) {
      throw new Error('shiplog is installed on this machine: the benchmark needs a host without it');
    }
    const tarball = process.env.SHIPLOG_BENCH_KIT ?? (await buildKit(join(ctx.workDir, 'kit')));
    const version = /^shiplog-kit-(.+)\.tar$/.exec(basename(tarball))?.[1];
    if (!version) throw new Error(`${tarball} is not named shiplog-kit-VERSION.tar`);
    const images = [`shiplog/agent:${version}`, `shiplog/collector:${version}`];

    const bin = join(ctx.workDir, 'bin');
    mkdirSync(bin);
    symlinkSync(join(ROOT, 'test/helpers/systemctl-stand-in.sh'), join(bin, 'systemctl'));
    const env = {
      PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: '/root',
      LANG: 'C.UTF-8',
      SHIPLOG_SYSTEMCTL_STATE: join(ctx.workDir, 'systemd'),
    };
    const systemctl = (...args: string[]) => spawnSync(join(bin, 'systemctl'), args, { env, stdio: 'ignore' });

    /** The tarball alone in an empty directory, on a host without shiplog or its images. */
    const freshHost = async (): Promise<string> => {
      systemctl('disable', '--now', 'shiplog-agent', 'shiplog-collector');
      await removeShiplogFromHost();
      spawnSync('docker', ['rmi', ...images], { stdio: 'ignore' });
      const dir = mkdtempSync(join(ctx.workDir, 'operator-'));
      copyFileSync(tarball, join(dir, basename(tarball)));
      return dir;
    };
    const measure = async (script: string, name: string): Promise<ProcessMeasure> => {
      const file = join(ctx.workDir, `${name}.sh`);
      writeFileSync(file, script);
      const result = await measureProcess('bash', [file, await freshHost()], {
        env,
        stdoutFile: join(ctx.workDir, `${name}.out`),
      });
      // Only an agent that answered counts.
      execFileSync('/usr/bin/shiplog', ['status'], { env, stdio: 'ignore' });
      return result;
    };

    const rows: BenchRow[] = [];
    setHostAside();
    try {
      const kit = await measure(runbookScript(), 'runbook');
      const bare = await measure(bareScript, 'bare');
      const failed = (m: ProcessMeasure) => (m.exit_code === 0 ? '' : `FAILED exit ${m.exit_code}; `);
      rows.push(
        row('kit', 'runbook: kit tarball to running agent', 1, 'installs', kit, {
          note: `${failed(kit)}${kit.wall_s.toFixed(1)} s; ${(kit.wall_s / bare.wall_s).toFixed(2)}x the bare steps`,
        }),
        row('kit', 'bare: tar -x, dpkg -i, docker load x2, start', 1, 'installs', bare, {
          note: `${failed(bare)}no signature or checksum checked`,
        }),
      );
    } finally {
      systemctl('disable', '--now', 'shiplog-agent', 'shiplog-collector');
      await removeShiplogFromHost();
      putHostBack();
    }
    return rows;
  },
};

export default suite;
