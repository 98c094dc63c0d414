// `shiplog ship` against an Elasticsearch that never answers: a server that
// accepts connections and never replies, and a port where nothing listens.
// Either way the command ends after --timeout with SHIPLOG_ERR_SHIP_TIMEOUT,
// exit 1, and says what was shipped, what is left and that nothing was lost.
// (Shipped part way, then stalled, then shipped in full by a second run: the
// integration test test/integration/elasticsearch/ship-timeout.test.ts.)
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shiplog } from '../helpers/cli.ts';
import { freePort } from '../helpers/rsyslog.ts';
import { tempDir } from '../helpers/temp.ts';

const lines = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `Nov 25 03:12:${String(i % 60).padStart(2, '0')} app-01 ${tag}[42]: line ${i}`)
    .join('\n')
    .concat('\n');

let silent: { server: Server; sockets: Socket[] } | undefined;

/** Accepts every connection and never sends a byte. */
async function silentServer(): Promise<string> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  silent = { server, sockets };
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

afterEach(async () => {
  const open = silent;
  silent = undefined;
  if (!open) return;
  for (const socket of open.sockets) socket.destroy();
  await new Promise((resolve) => open.server.close(resolve));
});

function files(dir: string): string[] {
  writeFileSync(join(dir, 'messages'), lines(30, 'payments'));
  writeFileSync(join(dir, 'secure'), lines(20, 'sshd'));
  return [join(dir, 'messages'), join(dir, 'secure')];
}

describe('shiplog ship --timeout', () => {
  it.each([
    ['accepts connections and never answers', silentServer],
    ['has nothing listening on its port', async () => `http://127.0.0.1:${await freePort('tcp')}`],
  ])('ends with SHIP_TIMEOUT when Elasticsearch %s', async (_, endpoint) => {
    const dir = tempDir('shiplog-ship-timeout-');
    const [messages, secure] = files(dir);
    const url = await endpoint();
    const result = await shiplog(['ship', '--timeout', '2s', messages as string, secure as string], {
      env: { SHIPLOG_DATA_DIR: join(dir, 'data'), SHIPLOG_ELASTICSEARCH_URL: url },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('[SHIPLOG_ERR_SHIP_TIMEOUT]');
    expect(result.stderr).toContain(`Elasticsearch ${url}`);
    expect(result.stderr).toContain('acknowledged nothing for 2s');
    expect(result.stderr).toContain('0 event(s) were acknowledged and 0 of 2 file(s) are fully shipped');
    expect(result.stderr).toContain(`${messages} (0 of 30 events acknowledged)`);
    expect(result.stderr).toContain(`${secure} (0 of 20 events acknowledged)`);
    expect(result.stderr).toContain('Nothing was lost');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('documents the option and its default, and refuses a duration it cannot read', async () => {
    const help = await shiplog(['ship', '--help']);
    expect(help.stdout).toContain('--timeout DURATION');
    expect(help.stdout).toContain('default 2m');
    const bad = await shiplog(['ship', '--timeout', 'soon', '/dev/null']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout "soon" is not a duration');
    expect(bad.stderr).toContain('[SHIPLOG_ERR_USAGE]');
  });
});
