// The install tree that every artifact is made from: the production build
// (packaging/build.ts) with its production dependencies, and the project's
// Node 24 beside it as node/bin/node. The .deb and .rpm put this tree at
// /opt/shiplog as it is; the Dockerfile copies it into both images (which
// take Node from their base image instead). One tree, so that the packages
// and the images run the same bytes.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..');

/** The repository's Node 24: the binary of the `node` package that `npm ci` installs. */
export const projectNode = join(repoRoot, 'node_modules/node/bin/node');

export interface StageOptions {
  /** The directory that becomes /opt/shiplog (made afresh). */
  out: string;
  /** The version to stamp into the tree's package.json, when not package.json's own. */
  version?: string;
  log?: (line: string) => void;
}

/** Builds the tree; answers the version it carries. */
export function stage({ out, version, log = () => {} }: StageOptions): string {
  log(`build into ${out}`);
  execFileSync(process.execPath, [join(repoRoot, 'packaging/build.ts'), '--out', out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const manifestPath = join(out, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string };
  if (version) {
    manifest.version = version;
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  log('npm ci --omit=dev');
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: out,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // The runtime, for the host packages: the bins find it at ../node/bin/node.
  mkdirSync(join(out, 'node/bin'), { recursive: true });
  copyFileSync(projectNode, join(out, 'node/bin/node'));
  execFileSync('chmod', ['0755', join(out, 'node/bin/node')]);
  for (const bin of ['shiplog', 'shiplog-collector']) {
    writeFileSync(join(out, 'bin', bin), launcher(bin, binFlags(out, `${bin}.js`)), { mode: 0o755 });
  }
  return manifest.version;
}

/**
 * bin/shiplog and bin/shiplog-collector: what /usr/bin links to. They start
 * the tree's own Node with the bin's V8 flags, whatever node the system has
 * or lacks (the packages), or the image's Node when the tree has none.
 */
function launcher(bin: string, flags: string[]): string {
  return [
    '#!/bin/sh',
    `# ${bin}, on the Node.js 24 that came with shiplog (made by packaging/stage.ts).`,
    `node=${installDir}/node/bin/node`,
    '[ -x "$node" ] || node=node',
    `exec "$node" ${flags.join(' ')} ${installDir}/bin/${bin}.js "$@"`,
    '',
  ].join('\n');
}

/** Where the packages and the images put the tree. */
export const installDir = '/opt/shiplog';

/** The V8 flags of a bin's first line (`#!/usr/bin/env -S node --max-semi-space-size=4`). */
export function binFlags(tree: string, bin: string): string[] {
  const first = readFileSync(join(tree, 'bin', bin), 'utf8').split('\n')[0] ?? '';
  return first.split(/\s+/).filter((word) => word.startsWith('--'));
}
