// The .deb and the .rpm, from one nfpm description: the install tree
// (packaging/stage.ts, with its own Node) at /opt/shiplog, `shiplog` and
// `shiplog-collector` in /usr/bin, the two systemd units, and the default
// configuration under /etc/shiplog as config files that an upgrade keeps
// (dpkg conffiles; rpm %config(noreplace)). The maintainer scripts are in
// packaging/files/.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installDir, repoRoot } from './stage.ts';

export const nfpmVersion = '2.48.0';

const files = join(repoRoot, 'packaging/files');
const unitDir = '/usr/lib/systemd/system';

export interface PackageOptions {
  tree: string;
  version: string;
  /** Where the .deb and .rpm are written. */
  out: string;
  /** The nfpm binary (test/services/up.sh packaging installs it). */
  nfpm: string;
}

/** Writes both packages; answers their paths. */
export function buildPackages({ tree, version, out, nfpm }: PackageOptions): { deb: string; rpm: string } {
  const config = join(out, 'nfpm.json');
  writeFileSync(config, JSON.stringify(description(tree, version), null, 2));
  const made = { deb: '', rpm: '' };
  for (const packager of ['deb', 'rpm'] as const) {
    const target = join(out, packager === 'deb' ? `shiplog_${version}_amd64.deb` : `shiplog-${version}-1.x86_64.rpm`);
    execFileSync(nfpm, ['package', '--config', config, '--packager', packager, '--target', target], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    made[packager] = target;
  }
  return made;
}

/** nfpm reads YAML, of which JSON is a part. */
function description(tree: string, version: string): Record<string, unknown> {
  const config = (name: string) => ({
    src: join(files, name),
    dst: `/etc/shiplog/${name}`,
    type: 'config|noreplace',
    file_info: { mode: 0o640, owner: 'root', group: 'root' },
  });
  const operators = join(repoRoot, 'docs/operators.md');
  return {
    name: 'shiplog',
    arch: 'amd64',
    platform: 'linux',
    version,
    release: '1',
    section: 'admin',
    priority: 'optional',
    maintainer: 'shiplog <support@shiplog.dev>',
    vendor: 'shiplog',
    homepage: 'https://shiplog.dev',
    license: 'Apache-2.0',
    description:
      'Log shipping and support bundles for containerized software at sites without internet.\n' +
      'shiplog (host agent) and shiplog-collector (vendor portal), with their own Node.js 24 under /opt/shiplog.',
    contents: [
      { src: tree, dst: installDir, type: 'tree', file_info: { owner: 'root', group: 'root' } },
      ...(existsSync(operators) ? [{ src: operators, dst: `${installDir}/docs/operators.md` }] : []),
      { src: `${installDir}/bin/shiplog`, dst: '/usr/bin/shiplog', type: 'symlink' },
      { src: `${installDir}/bin/shiplog-collector`, dst: '/usr/bin/shiplog-collector', type: 'symlink' },
      { src: join(files, 'shiplog-agent.service'), dst: `${unitDir}/shiplog-agent.service` },
      { src: join(files, 'shiplog-collector.service'), dst: `${unitDir}/shiplog-collector.service` },
      { dst: '/etc/shiplog', type: 'dir', file_info: { mode: 0o755 } },
      config('agent.yml'),
      config('collector.yml'),
    ],
    scripts: {
      preinstall: join(files, 'preinstall.sh'),
      postinstall: join(files, 'postinstall.sh'),
      preremove: join(files, 'preremove.sh'),
      postremove: join(files, 'postremove.sh'),
    },
    deb: { compression: 'gzip' },
    rpm: { compression: 'gzip', group: 'System Environment/Daemons' },
  };
}
