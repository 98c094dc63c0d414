// Unpacks a bundle with the three tars a vendor might use (GNU tar, bsdtar,
// Python's tarfile) and says how what each left on disk differs from what
// `shiplog verify` checked. The oracle for the tar parity property test:
// verify may accept an archive only when every one of them unpacks it to
// exactly the files the signed manifest lists, with exactly those bytes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSha256Sums } from '../../bundle/checksums.ts';
import { fingerprint, signatureNamespace } from '../../bundle/ssh-public-key.ts';
import { parseSshsig, verifySshsig } from '../../bundle/sshsig.ts';
import type { VerifiedBundle } from '../../bundle/verify.ts';
import { type Compression, decompress } from './hostile-bundles.ts';

export const tars = ['gnu-tar', 'bsdtar', 'python-tarfile'] as const;
export type TarTool = (typeof tars)[number];

/**
 * Python's tarfile before 3.12 has no extraction filter, and plain
 * extractall follows any name it is given: members that could write outside
 * the target are reported (exit 3) instead of extracted. Verify never accepts
 * such a member, so reporting it is already a difference.
 */
const pythonUnpack = `
import sys, tarfile
with tarfile.open(sys.argv[1], 'r:') as archive:
    members = archive.getmembers()
    for m in members:
        parts = m.name.split('/')
        if m.name.startswith('/') or '..' in parts or not (m.isfile() or m.isdir()):
            print('refusing to extract member %r of type %r' % (m.name, m.type), file=sys.stderr)
            sys.exit(3)
    archive.extractall(sys.argv[2])
`;

/** Debian's own Python (test/services/up.sh installs it), not whatever a shim puts first on PATH. */
const python = '/usr/bin/python3';

export interface Unpacked {
  readonly tool: TarTool;
  readonly status: number | null;
  readonly stderr: string;
  /** Every path left under the target: 'dir', 'link', 'other', or a file's bytes. */
  readonly tree: Map<string, Buffer | 'dir' | 'link' | 'other'>;
}

/** Runs one tar on the bundle file (Python gets the decompressed tar, as tarfile 3.11 reads no zstd). */
export function unpack(tool: TarTool, bundle: string, compression: Compression, workDir: string): Unpacked {
  const out = join(workDir, tool);
  mkdirSync(out, { recursive: true });
  let result: ReturnType<typeof spawnSync>;
  if (tool === 'gnu-tar') {
    const flag = compression === 'gzip' ? '-z' : '--zstd';
    result = spawnSync('tar', ['-x', flag, '-f', bundle, '-C', out], { timeout: 30_000 });
  } else if (tool === 'bsdtar') {
    result = spawnSync('bsdtar', ['-x', '-f', bundle, '-C', out], { timeout: 30_000 });
  } else {
    const plain = join(workDir, 'plain.tar');
    writeFileSync(plain, decompress(readFileSync(bundle), compression));
    result = spawnSync(python, ['-c', pythonUnpack, plain, out], { timeout: 30_000 });
  }
  return { tool, status: result.status, stderr: String(result.stderr ?? '').trim(), tree: walk(out) };
}

function walk(root: string): Unpacked['tree'] {
  const tree: Unpacked['tree'] = new Map();
  const visit = (relative: string) => {
    for (const name of readdirSync(join(root, relative))) {
      const path = relative ? `${relative}/${name}` : name;
      const stats = lstatSync(join(root, path));
      if (stats.isDirectory()) {
        tree.set(path, 'dir');
        visit(path);
      } else if (stats.isFile()) tree.set(path, readFileSync(join(root, path)));
      else tree.set(path, stats.isSymbolicLink() ? 'link' : 'other');
    }
  };
  visit('');
  return tree;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const seal = ['manifest.json', 'manifest.json.sig', 'SHA256SUMS'];

/**
 * How what one tar unpacked differs from what verify checked: the same
 * regular files as the manifest lists (plus the three seal files, which must
 * pass the same checks from disk: the signature over manifest.json by the
 * same signer, SHA256SUMS listing exactly the manifest's hashes), their
 * parent directories and nothing else, and a clean exit. Empty when equal.
 */
export function differences(unpacked: Unpacked, verified: VerifiedBundle): string[] {
  const found: string[] = [];
  const { tree } = unpacked;
  if (unpacked.status !== 0) found.push(`exited ${unpacked.status}: ${unpacked.stderr.slice(0, 400)}`);
  const listed = new Map(verified.manifest.files.map((file) => [file.path, file]));
  const parents = new Set<string>();
  for (const path of [...listed.keys(), ...seal]) {
    for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) parents.add(path.slice(0, at));
  }
  for (const [path, what] of tree) {
    if (what === 'dir') {
      if (!parents.has(path)) found.push(`made a directory ${JSON.stringify(path)} no listed file needs`);
    } else if (!Buffer.isBuffer(what))
      found.push(`made a ${what === 'link' ? 'link' : 'special file'} ${JSON.stringify(path)}`);
    else if (!listed.has(path) && !seal.includes(path)) found.push(`made ${JSON.stringify(path)}, which is not listed`);
  }
  for (const [path, file] of listed) {
    const bytes = tree.get(path);
    if (!Buffer.isBuffer(bytes)) found.push(`has no ${JSON.stringify(path)}`);
    else if (bytes.length !== file.size || sha256(bytes) !== file.sha256) {
      found.push(`unpacked ${JSON.stringify(path)} with other bytes (${bytes.length}, listed ${file.size})`);
    }
  }
  found.push(...sealDifferences(tree, verified));
  return found;
}

function sealDifferences(tree: Unpacked['tree'], verified: VerifiedBundle): string[] {
  const [manifest, sig, sums] = seal.map((path) => tree.get(path));
  if (!Buffer.isBuffer(manifest) || !Buffer.isBuffer(sig) || !Buffer.isBuffer(sums)) {
    return ['lacks one of manifest.json, manifest.json.sig and SHA256SUMS'];
  }
  const found: string[] = [];
  try {
    const parsed = parseSshsig(sig.toString('utf8'));
    if (!verifySshsig(parsed, manifest, signatureNamespace)) found.push('unpacked a signature that does not hold');
    if (fingerprint(parsed.publicKey) !== verified.signer.fingerprint) found.push('unpacked another signer');
  } catch (error) {
    found.push(`unpacked an unreadable manifest.json.sig (${(error as Error).message})`);
  }
  try {
    if (JSON.stringify(JSON.parse(manifest.toString('utf8'))) !== JSON.stringify(verified.manifest)) {
      found.push('unpacked another manifest.json');
    }
  } catch {
    found.push('unpacked a manifest.json that is not JSON');
  }
  try {
    const listed = parseSha256Sums(sums.toString('utf8'));
    const expected = new Map(verified.manifest.files.map((file) => [file.path, file.sha256]));
    expected.set('manifest.json', sha256(manifest));
    const same = listed.size === expected.size && [...expected].every(([path, hash]) => listed.get(path) === hash);
    if (!same) found.push('unpacked a SHA256SUMS that disagrees with the manifest');
  } catch (error) {
    found.push(`unpacked an unreadable SHA256SUMS (${(error as Error).message})`);
  }
  return found;
}
