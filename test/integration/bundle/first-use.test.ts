// The command a new user types: `shiplog dump`, no flags, as an ordinary user
// in the docker group (not root), in a directory of their own.
import { execFileSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCommand } from '../../helpers/cli.ts';
import { requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const user = 'shiplog-it';
const asRoot = process.getuid?.() === 0;

/** An ordinary user in the docker group, made once on this machine. */
function ensureUser(): { uid: number; gid: number; home: string } {
  try {
    execFileSync('id', [user], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-G', 'docker', '-s', '/bin/sh', user]);
  }
  const id = (flag: string) => Number(execFileSync('id', [flag, user]).toString().trim());
  return { uid: id('-u'), gid: id('-g'), home: `/home/${user}` };
}

/** The project as that user can read it: here if the path is open to them, else a copy. */
function readableRepo(): string {
  const probe = () => {
    try {
      execFileSync('runuser', ['-u', user, '--', 'test', '-r', join(repoRoot, 'bin/shiplog.js')]);
      return true;
    } catch {
      return false;
    }
  };
  if (probe()) return repoRoot;
  const copy = tempDir('shiplog-it-repo-');
  execFileSync('chmod', ['755', copy]);
  for (const part of ['bin', 'agent', 'core', 'schemas', 'collector', 'package.json', 'node_modules']) {
    cpSync(join(repoRoot, part), join(copy, part), { recursive: true, verbatimSymlinks: true });
  }
  return copy;
}

describe.skipIf(!requireService('docker'))('shiplog dump on first use', () => {
  it('works with no flags for a user in the docker group and ends with one line saying what to do', async () => {
    const { uid, gid, home } = asRoot ? ensureUser() : { uid: -1, gid: -1, home: process.env.HOME ?? '' };
    const repo = asRoot ? readableRepo() : repoRoot;
    const cwd = tempDir('shiplog-first-use-');
    if (asRoot) chownSync(cwd, uid, gid);
    const node = join(repo, 'node_modules/.bin/node');
    const command = [node, join(repo, 'bin/shiplog.js'), 'dump'];
    const result = asRoot
      ? await runCommand('runuser', ['-u', user, '--', 'env', `HOME=${home}`, ...command], {
          cwd,
          env: { SHIPLOG_DATA_DIR: '' },
        })
      : await runCommand(node, command.slice(1), { cwd });
    const lastLine = result.stderr.trim().split('\n').at(-1) ?? '';
    expect(lastLine).toMatch(/^Support bundle written to .*shiplog-.*\.tar\.gz \(.*\)\. Send this file to your vendor/);
    expect(result.code).toBe(0);
    const [bundle] = readdirSync(cwd).filter((name) => name.endsWith('.tar.gz'));
    expect(bundle).toBeDefined();
    expect(result.stdout.trim()).toBe(join(cwd, bundle ?? ''));
    expect(existsSync(join(home, '.local/share/shiplog/keys'))).toBe(true);
  });
});
