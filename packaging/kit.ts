// `npm run kit [-- --out DIR] [--version V] [--signing-key FILE]`: the
// offline install kit, one tarball that unpacks to shiplog-kit-V/ with both
// images (`docker save`, gzip), the .deb and the .rpm, the default
// configuration, install.sh, INSTALL.md, SHA256SUMS and its SSH signature
// (SHA256SUMS.sig, by the release key; allowed_signers names it). The last
// line printed is the tarball's path.
//
// `docker build` and `docker save` are tried again (3 attempts in all) when
// dockerd drops the connection under them, and only then
// (packaging/docker-retry.ts).
//
// The release key is --signing-key, else $SHIPLOG_KIT_SIGNING_KEY, else a
// development key made once under .cache/packaging (said loudly: a kit for
// a customer is signed with the vendor's own key).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runDocker, withDockerRetry } from './docker-retry.ts';
import { buildPackages } from './packages.ts';
import { repoRoot, stage } from './stage.ts';

const { values } = parseArgs({
  options: { out: { type: 'string' }, version: { type: 'string' }, 'signing-key': { type: 'string' } },
});
const work = join(repoRoot, '.cache/packaging');
const out = resolve(values.out ?? join(work, 'kit'));
const log = (line: string) => process.stderr.write(`[kit] ${line}\n`);
const started = Date.now();

/** test/services/up.sh, the one place that installs tools and makes the base image; answers its "ready" line. */
function services(name: string): string[] {
  const stdout = execFileSync('bash', [join(repoRoot, 'test/services/up.sh'), name], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = stdout.split('\n').find((line) => line.startsWith(`ready ${name} `));
  if (!ready) throw new Error(`test/services/up.sh ${name} did not get ready`);
  return ready.split(' ');
}

services('docker');
const [, , , nfpm, baseImage] = services('packaging');
if (!nfpm || !baseImage) throw new Error('test/services/up.sh packaging named no nfpm binary or base image');

// 1. The install tree, inside the Docker build context (.dockerignore lets only it in).
const tree = join(work, 'tree');
const version = stage({ out: tree, version: values.version, log });
const name = `shiplog-kit-${version}`;
const kit = join(out, name);
rmSync(kit, { recursive: true, force: true });
mkdirSync(kit, { recursive: true });

// 2. Both images from the top-level Dockerfile, saved.
const images: string[] = [];
for (const target of ['agent', 'collector']) {
  const tag = `shiplog/${target}:${version}`;
  log(`docker build --target ${target} -t ${tag}`);
  const build = ['build', '-q', '--network', 'none', '--build-arg', `BASE_IMAGE=${baseImage}`, '--target', target];
  withDockerRetry(
    `docker build --target ${target}`,
    () =>
      runDocker('docker', [...build, '-t', tag, '.'], { cwd: repoRoot, env: { ...process.env, DOCKER_BUILDKIT: '0' } }),
    { log },
  );
  const file = `shiplog-${target}-${version}.image.tar.gz`;
  const save = 'set -o pipefail; docker save "$1" | gzip -1 >"$2"';
  withDockerRetry(`docker save ${tag}`, () => runDocker('bash', ['-c', save, 'save', tag, join(kit, file)]), { log });
  images.push(`${file} ${tag}`);
}
writeFileSync(join(kit, 'IMAGES'), `${images.join('\n')}\n`);

// 3. The host packages.
log('nfpm: .deb and .rpm');
const packages = buildPackages({ tree, version, out: kit, nfpm });
rmSync(join(kit, 'nfpm.json'));

// 4. The rest: default configuration, the installer and its instructions.
mkdirSync(join(kit, 'config'));
for (const file of ['agent.yml', 'collector.yml']) {
  copyFileSync(join(repoRoot, 'packaging/files', file), join(kit, 'config', file));
}
copyFileSync(join(repoRoot, 'packaging/kit/install.sh'), join(kit, 'install.sh'));
execFileSync('chmod', ['0755', join(kit, 'install.sh')]);
copyFileSync(join(repoRoot, 'packaging/kit/INSTALL.md'), join(kit, 'INSTALL.md'));
writeFileSync(join(kit, 'VERSION'), `${version}\n`);

// 5. Checksums, signed.
const key = resolve(values['signing-key'] ?? process.env.SHIPLOG_KIT_SIGNING_KEY ?? developmentKey());
const publicKey = execFileSync('ssh-keygen', ['-y', '-f', key], { encoding: 'utf8' }).trim();
writeFileSync(join(kit, 'allowed_signers'), `shiplog-release namespaces="shiplog-kit" ${publicKey}\n`);
const listed = files(kit).sort();
const sums = execFileSync('sha256sum', ['--', ...listed], { cwd: kit, encoding: 'utf8' });
writeFileSync(join(kit, 'SHA256SUMS'), sums);
execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', key, '-n', 'shiplog-kit', join(kit, 'SHA256SUMS')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});

// 6. One tarball (its parts are compressed already).
const tarball = join(out, `${name}.tar`);
execFileSync('tar', ['-C', out, '-cf', tarball, name]);
const size = (path: string) => `${(statSync(path).size / 2 ** 20).toFixed(1)} MiB`;
const parts = [packages.deb, packages.rpm, ...images.map((line) => join(kit, line.split(' ')[0] as string))];
for (const part of parts) log(`  ${basename(part)}: ${size(part)}`);
rmSync(kit, { recursive: true });
log(`kit ${size(tarball)} in ${Math.round((Date.now() - started) / 1000)} s`);
console.log(tarball);

/** Paths of the kit's files, relative to it. */
function files(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? files(dir, path) : [path];
  });
}

function developmentKey(): string {
  const file = join(work, 'kit-signing-key');
  if (!existsSync(file)) {
    mkdirSync(work, { recursive: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'shiplog development release key', '-f', file]);
  }
  log(`signing with the DEVELOPMENT key ${file}: use --signing-key for a kit that leaves the building`);
  return file;
}
