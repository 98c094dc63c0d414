// `shiplog ship` into the real Elasticsearch, which stops answering part way
// (a forwarding proxy in front of it holds every bulk request after the
// first): the run ends after --timeout saying what was shipped and what is
// left, and a second run straight to the cluster ships the rest, so that the
// data stream holds every line exactly once.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shiplog } from '../../helpers/cli.ts';
import { esUrl, requireService } from '../../helpers/services.ts';
import { tempDir } from '../../helpers/temp.ts';

const lines = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `Nov 25 03:12:${String(i % 60).padStart(2, '0')} app-01 ${tag}[42]: line ${i}`)
    .join('\n')
    .concat('\n');

let proxy: { server: Server; held: ServerResponse[] } | undefined;

/** Forwards to Elasticsearch, except that every bulk request after the first is held unanswered. */
async function stallAfterFirstBulk(target: string): Promise<string> {
  const { hostname, port } = new URL(target);
  const held: ServerResponse[] = [];
  let bulks = 0;
  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    if (incoming.url?.startsWith('/_bulk') && bulks++ > 0) {
      held.push(response);
      incoming.resume();
      return;
    }
    const upstream = request(
      { hostname, port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy = { server, held };
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  const open = proxy;
  proxy = undefined;
  if (!open) return;
  for (const response of open.held) response.destroy();
  open.server.closeAllConnections();
  await new Promise((resolve) => open.server.close(resolve));
});

async function count(dataStream: string): Promise<number> {
  await fetch(`${esUrl()}/${dataStream}/_refresh`, { method: 'POST' });
  const answer = await fetch(`${esUrl()}/${dataStream}/_count`);
  return ((await answer.json()) as { count: number }).count;
}

describe.skipIf(!requireService('elasticsearch'))('shiplog ship when Elasticsearch stops answering', () => {
  it('says what was shipped and what is left, and a second run ships the rest exactly once', async () => {
    const dir = tempDir('shiplog-ship-stall-');
    const payments = join(dir, 'payments.log');
    const sshd = join(dir, 'sshd.log');
    writeFileSync(payments, lines(100, 'payments'));
    writeFileSync(sshd, lines(50, 'sshd'));
    const namespace = `stall${Date.now().toString(36)}`;
    const env = {
      SHIPLOG_DATA_DIR: join(dir, 'data'),
      SHIPLOG_ELASTICSEARCH_NAMESPACE: namespace,
      // One bulk request per file.
      SHIPLOG_ELASTICSEARCH_BATCH_EVENTS: '100',
    };
    const url = await stallAfterFirstBulk(esUrl());

    const stalled = await shiplog(['ship', '--timeout', '3s', payments, sshd], {
      env: { ...env, SHIPLOG_ELASTICSEARCH_URL: url },
    });
    expect(stalled.code).toBe(1);
    expect(stalled.stderr).toContain('[SHIPLOG_ERR_SHIP_TIMEOUT]');
    expect(stalled.stderr).toContain('100 event(s) were acknowledged and 1 of 2 file(s) are fully shipped');
    expect(stalled.stderr).toContain(`left: ${sshd} (0 of 50 events acknowledged)`);
    const dataStream = `logs-shiplog-${namespace}`;
    expect(await count(dataStream)).toBe(100);

    const rest = await shiplog(['ship', payments, sshd], { env: { ...env, SHIPLOG_ELASTICSEARCH_URL: esUrl() } });
    expect(rest.stderr).toBe('');
    expect(rest.code).toBe(0);
    expect(await count(dataStream)).toBe(150);
  });
});
