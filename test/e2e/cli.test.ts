import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCommand, shiplog, shiplogCollector } from '../helpers/cli.ts';

describe('shiplog command line', () => {
  it('lists its commands with --help and exits 0', async () => {
    const result = await shiplog(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['agent', 'dump', 'verify', 'redact', 'status', 'ship']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('runs on Node.js 24 through npx even where the system Node is older', async () => {
    const result = await runCommand('npx', ['--no-install', 'node', '-p', 'process.versions.node']);
    expect(result.code).toBe(0);
    expect(Number(result.stdout.trim().split('.')[0])).toBeGreaterThanOrEqual(24);
    const viaNpx = await runCommand('npx', ['--no-install', 'shiplog', '--help']);
    expect(viaNpx.code).toBe(0);
    expect(viaNpx.stdout).toContain('Usage: shiplog <command>');
  });

  it('runs on the Node 24 that npm ci installed when started by an older system node', async () => {
    // /usr/bin/node is the machine's own (20 here); the launcher re-runs the command on Node 24.
    const result = await runCommand('/usr/bin/node', [join(repoRoot, 'bin/shiplog.js'), 'dumpp']);
    expect(result.stderr).toContain('[SHIPLOG_ERR_USAGE]');
    expect(result.code).toBe(2);
  });

  it('prints help and exits 2 when given no command, so scripts notice', async () => {
    const result = await shiplog([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Commands:');
  });

  it('rejects an unknown command with advice and a stable code, without a stack trace', async () => {
    const result = await shiplog(['dumpp']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "dumpp"');
    expect(result.stderr).toContain('[SHIPLOG_ERR_USAGE]');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('regression: an unknown option was an "unexpected error" (exit 1); it is a usage error (exit 2) on both programs', async () => {
    const agent = await shiplog(['verify', 'x.tar.gz', '--sigger', 'k']);
    expect(agent.code).toBe(2);
    expect(agent.stderr).toContain('[SHIPLOG_ERR_USAGE]');
    expect(agent.stderr).toContain("Unknown option '--sigger'");
    const collector = await shiplogCollector(['ingest', 'x.tar.gz', '--tennant', 'acme']);
    expect(collector.code).toBe(2);
    expect(collector.stderr).toContain('[COLLECTOR_ERR_USAGE]');
    expect(collector.stderr).not.toContain('unexpected error');
  });

  it('shows the stack trace only with --debug', async () => {
    const result = await shiplog(['dumpp', '--debug']);
    expect(result.stderr).toMatch(/\n\s+at /);
  });
});

describe('shiplog-collector command line', () => {
  it('lists its commands with --help', async () => {
    const result = await shiplogCollector(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['serve', 'ingest', 'token', 'tenant', 'bundles', 'reindex'])
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('rejects an unknown command or a bad option of serve with advice and a stable code', async () => {
    const unknown = await shiplogCollector(['serv']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('[COLLECTOR_ERR_USAGE]');
    const port = await shiplogCollector(['serve', '--port', 'eighty']);
    expect(port.code).not.toBe(0);
    expect(port.stderr).toContain('[COLLECTOR_ERR_USAGE]');
    expect(port.stderr).toContain('--port eighty is not a port number');
  });

  it('prints the version of the package', async () => {
    const result = await shiplogCollector(['--version']);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
