// `shiplog dump --out` as an operator runs it, against the real file system:
// a path that exists is refused (a regular file is replaced only with
// --force; a directory, FIFO or symbolic link never), a full disk gives a
// coded error naming the full file system, and neither a failure nor a
// Ctrl-C leaves a temporary bundle or a staging directory behind
// (issue #10, item 9). No Docker engine is needed: DOCKER_HOST points at a
// socket nobody serves, so the Docker collectors fail and the bundle holds
// the syslog file, the host facts and the agent's configuration.
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statfsSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot, shiplog } from '../helpers/cli.ts';
import { tempDir } from '../helpers/temp.ts';

const dir = tempDir('shiplog-dump-out-');
const config = join(dir, 'agent.yml');
const dataDir = join(dir, 'data');
const noDocker = `unix://${join(dir, 'no-docker.sock')}`;

/** Syslog lines of random lowercase words: nothing in them is redacted, and they compress only about 2:1. */
function syslogText(lines: number): string {
  const now = new Date().toISOString();
  const word = () =>
    Array.from({ length: 3 + Math.floor(Math.random() * 7) }, () =>
      String.fromCharCode(97 + Math.floor(Math.random() * 26)),
    ).join('');
  return Array.from(
    { length: lines },
    (_, i) => `${now} app-01 ledger[7]: entry ${Array.from({ length: 10 }, word).join(' ')} ${i}\n`,
  ).join('');
}

function writeConfig(path: string, messages: string): void {
  writeFileSync(path, `sources:\n  files:\n    paths: [${messages}]\n`);
}

function dump(args: string[], options: { data?: string; cfg?: string } = {}) {
  return shiplog(['dump', '--config', options.cfg ?? config, ...args], {
    env: { SHIPLOG_DATA_DIR: options.data ?? dataDir, DOCKER_HOST: noDocker },
    cwd: dir,
  });
}

/** Everything a run of dump makes for itself, anywhere under `roots`: temporary bundles and staging directories. */
function leftovers(...roots: string[]): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (/\.partial$|^bundle-staging-|^dump-|^bundle-\d+-/.test(entry.name)) found.push(path);
      if (entry.isDirectory() && !entry.isSymbolicLink()) walk(path);
    }
  };
  for (const root of roots) if (existsSync(root)) walk(root);
  return found;
}

/** The refusal came before any collector ran: no progress line was printed. */
function refusedBeforeBuilding(stderr: string): void {
  expect(stderr).not.toMatch(/syslog_files|checking every file|writing, signing/);
}

beforeAll(() => {
  const messages = join(dir, 'messages');
  writeFileSync(messages, syslogText(50));
  writeConfig(config, messages);
});

describe('shiplog dump --out PATH where PATH exists', () => {
  it('refuses an existing file before collecting anything, and replaces it only with --force', async () => {
    const out = join(dir, 'existing.tar.gz');
    writeFileSync(out, 'the operator wants this\n');
    const refused = await dump(['--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[SHIPLOG_ERR_DUMP_OUT_EXISTS]');
    expect(refused.stderr).toContain('--force');
    refusedBeforeBuilding(refused.stderr);
    expect(readFileSync(out, 'utf8')).toBe('the operator wants this\n');

    const forced = await dump(['--out', out, '--force']);
    expect(forced.stderr).toMatch(/Support bundle written to .*existing\.tar\.gz/);
    expect(forced.code).toBe(0);
    expect(forced.stdout.trim()).toBe(out);
    expect(execFileSync('tar', ['-tzf', out]).toString()).toContain('manifest.json');
    expect(leftovers(dir)).toEqual([]);
  });

  it('regression: --out to a directory failed with EISDIR after the build and left a complete .partial bundle behind', async () => {
    const out = join(dir, 'bundles');
    mkdirSync(out);
    for (const force of [[], ['--force']]) {
      const result = await dump(['--out', out, ...force]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('[SHIPLOG_ERR_DUMP_OUT_NOT_A_FILE]');
      expect(result.stderr).toContain('is a directory');
      expect(result.stderr).toContain('"--out -"');
      expect(result.stderr).not.toContain('unexpected error');
      refusedBeforeBuilding(result.stderr);
    }
    expect(readdirSync(out)).toEqual([]);
    expect(leftovers(dir)).toEqual([]);
  });

  it('refuses a FIFO without opening it, also with --force: nothing waits for a reader, nothing replaces it', async () => {
    const fifo = join(dir, 'bundle.fifo');
    execFileSync('mkfifo', [fifo]);
    const result = await dump(['--out', fifo, '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[SHIPLOG_ERR_DUMP_OUT_NOT_A_FILE]');
    expect(result.stderr).toContain('FIFO');
    expect(result.stderr).toContain('"--out -"');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(leftovers(dir)).toEqual([]);
  });

  it.each([
    ['a regular file', 'target.txt'],
    ['/dev/stdout (the /proc/self/fd/1 link)', '/proc/self/fd/1'],
  ])('refuses a symbolic link to %s, also with --force, leaving link and target as they were', async (_, target) => {
    const targetPath = target.startsWith('/') ? target : join(dir, target);
    if (!target.startsWith('/')) writeFileSync(targetPath, 'linked content\n');
    const link = join(dir, `link-${target.replaceAll('/', '_')}`);
    symlinkSync(targetPath, link);
    for (const force of [[], ['--force']]) {
      const result = await dump(['--out', link, ...force]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('[SHIPLOG_ERR_DUMP_OUT_NOT_A_FILE]');
      expect(result.stderr).toContain('symbolic link');
      expect(result.stderr).toContain('"--out -"');
      // Nothing was written through the link (a /dev/stdout link would have sent it to our pipe).
      expect(result.stdout).toBe('');
    }
    expect(readlinkSync(link)).toBe(targetPath);
    if (!target.startsWith('/')) expect(readFileSync(targetPath, 'utf8')).toBe('linked content\n');
    expect(leftovers(dir)).toEqual([]);
  });

  it('names --force and "--out -" in its help', async () => {
    const help = await shiplog(['dump', '--help']);
    expect(help.stdout).toMatch(/--force\s+replace the file at --out/);
    expect(help.stdout).toMatch(/--out PATH .*; - for standard/);
  });
});

// A small tmpfs stands for a full disk: as the data directory (where the run
// stages everything), then as the directory of --out.
const canMount = process.getuid?.() === 0;

describe.skipIf(!canMount && process.env.CI !== 'true')('shiplog dump on a full disk', () => {
  const small = join(dir, 'small');
  const bigConfig = join(dir, 'big.yml');

  beforeAll(() => {
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', small]);
    const messages = join(dir, 'big-messages');
    // About 1.3 MB, 650 KB compressed: more than either test leaves free.
    writeFileSync(messages, syslogText(16_000));
    writeConfig(bigConfig, messages);
  });

  afterAll(() => {
    execFileSync('umount', [small]);
  });

  beforeEach(() => {
    for (const name of readdirSync(small)) rmSync(join(small, name), { recursive: true, force: true });
  });

  /** Fills the file system at `small` so that about `free` bytes are left. */
  function leave(free: number): void {
    const fs = statfsSync(small);
    writeFileSync(join(small, 'filler'), Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - free)));
  }

  it('stops with DUMP_NO_SPACE naming the data directory when staging fills it, and leaves nothing of the run', async () => {
    const data = join(small, 'data');
    const out = join(dir, 'never.tar.gz');
    leave(300 * 1024);
    const result = await dump(['--out', out], { data, cfg: bigConfig });
    expect(result.stderr).toContain('[SHIPLOG_ERR_DUMP_NO_SPACE]');
    expect(result.stderr).toContain(`the file system holding ${data} is full (ENOSPC)`);
    expect(result.stderr).toContain('SHIPLOG_DATA_DIR');
    expect(result.stderr).not.toContain('unexpected error');
    expect(result.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(leftovers(small, dir)).toEqual([]);
    expect(readdirSync(join(data, 'tmp'))).toEqual([]);
  });

  it('refuses a read-only directory for --out before collecting anything', async () => {
    const readOnly = join(dir, 'read-only');
    mkdirSync(readOnly);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', readOnly]);
    try {
      const result = await dump(['--out', join(readOnly, 'bundle.tar.gz')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('[SHIPLOG_ERR_BUNDLE_WRITE]');
      expect(result.stderr).toContain(`no file can be created in ${readOnly} (EROFS)`);
      refusedBeforeBuilding(result.stderr);
      expect(leftovers(dir)).toEqual([]);
    } finally {
      execFileSync('umount', [readOnly]);
    }
  });

  it('stops with DUMP_NO_SPACE naming the directory of --out when the bundle does not fit, and leaves nothing of the run', async () => {
    const outDir = join(small, 'out');
    mkdirSync(outDir);
    leave(64 * 1024);
    const result = await dump(['--out', join(outDir, 'bundle.tar.gz')], { cfg: bigConfig });
    expect(result.stderr).toContain('[SHIPLOG_ERR_DUMP_NO_SPACE]');
    expect(result.stderr).toContain(`the file system holding ${outDir} is full (ENOSPC)`);
    expect(result.stderr).toContain('--out a path on another disk');
    expect(result.code).toBe(1);
    expect(readdirSync(outDir)).toEqual([]);
    expect(leftovers(small, dir)).toEqual([]);
  });
});

describe('shiplog dump stopped while it builds', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'removes everything it staged on %s, says so, and ends by that signal',
    async (signal) => {
      // A Docker engine that accepts the connection and never answers: the first collector waits on it.
      const socketPath = join(dir, `slow-docker-${signal}.sock`);
      const connected = Promise.withResolvers<void>();
      const sockets: Socket[] = [];
      const server = createServer((socket) => {
        sockets.push(socket);
        connected.resolve();
      });
      await new Promise<void>((resolve) => server.listen(socketPath, resolve));
      const out = join(dir, `stopped-${signal}.tar.gz`);
      const child = spawn(
        join(repoRoot, 'node_modules/.bin/node'),
        [join(repoRoot, 'bin/shiplog.js'), 'dump', '--config', config, '--out', out],
        {
          cwd: dir,
          env: { ...process.env, SHIPLOG_DATA_DIR: dataDir, DOCKER_HOST: `unix://${socketPath}` },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, received) => resolve({ code, signal: received })),
      );
      try {
        await connected.promise;
        // The run is inside its build: its staging directory exists.
        const runs = readdirSync(join(dataDir, 'tmp')).filter((name) => name.startsWith('dump-'));
        expect(runs).toHaveLength(1);
        expect(readdirSync(join(dataDir, 'tmp', runs[0] as string))).toEqual([
          expect.stringMatching(/^bundle-staging-/),
        ]);
        child.kill(signal);
        const exit = await ended;
        expect(exit.signal).toBe(signal);
        expect(stderr).toContain('[SHIPLOG_ERR_DUMP_INTERRUPTED]');
        expect(stderr).toContain(`stopped by ${signal}`);
        expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
        expect(existsSync(out)).toBe(false);
        expect(leftovers(dir)).toEqual([]);
      } finally {
        child.kill('SIGKILL');
        for (const socket of sockets) socket.destroy();
        server.close();
      }
    },
  );
});
