// The raw HTTP/1.0 client for followed log streams, against a socket that
// answers as the engine would, byte by byte where it matters (headers split
// across reads, errors, nonsense). The real engine is in the integration tests.
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError, openLogStream } from '../../../../../agent/sources/docker_logs/log-stream.ts';
import { tempDir } from '../../../../helpers/temp.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A unix socket whose every connection is answered by `answer`; returns the docker client and the requests seen. */
async function engine(
  answer: (socket: Socket, request: string) => void,
): Promise<{ docker: Dockerode; requests: string[] }> {
  const path = join(tempDir('shiplog-log-stream-'), 'docker.sock');
  const requests: string[] = [];
  server = createServer((socket) => {
    let request = '';
    socket.on('data', (chunk) => {
      request += chunk.toString('latin1');
      if (request.includes('\r\n\r\n')) {
        requests.push(request);
        answer(socket, request);
      }
    });
  });
  await new Promise<void>((resolve) => server?.listen(path, resolve));
  return { docker: new Dockerode({ socketPath: path }), requests };
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts).toString('latin1');
}

const query = { follow: true, stdout: true, stderr: true, timestamps: true, since: '1795623701.184512441' };

describe('openLogStream', () => {
  it('asks with HTTP/1.0 and hands on the unchunked body, headers split across reads', async () => {
    const { docker, requests } = await engine((socket) => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r');
      setTimeout(() => {
        socket.write('\n\r\nfirst bytes|');
        setTimeout(() => socket.end('second bytes'), 10);
      }, 10);
    });
    const stream = await openLogStream(docker, 'c0ffee', query, new AbortController().signal);
    expect(stream).toBeDefined();
    expect(await readAll(stream as AsyncIterable<Buffer>)).toBe('first bytes|second bytes');
    expect(requests[0]).toMatch(
      /^GET \/containers\/c0ffee\/logs\?follow=1&stdout=1&stderr=1&timestamps=1&since=1795623701\.184512441 HTTP\/1\.0\r\n/,
    );
  });

  it('turns an engine error into the status and message dockerode would give (404: the container is gone)', async () => {
    const { docker } = await engine((socket) =>
      socket.end(
        'HTTP/1.0 404 Not Found\r\nContent-Type: application/json\r\n\r\n{"message":"No such container: c0ffee"}\n',
      ),
    );
    const failure = openLogStream(docker, 'c0ffee', query, new AbortController().signal);
    await expect(failure).rejects.toBeInstanceOf(EngineError);
    await expect(failure).rejects.toMatchObject({
      statusCode: 404,
      message: expect.stringContaining('No such container'),
    });
  });

  it('refuses an answer that is not HTTP, and one that never ends its headers', async () => {
    const { docker } = await engine((socket) => socket.end('SSH-2.0-OpenSSH\r\n\r\n'));
    await expect(openLogStream(docker, 'c0ffee', query, new AbortController().signal)).rejects.toThrow(/not HTTP/);
    server?.close();
    const endless = await engine((socket) => socket.write(`HTTP/1.0 200 OK\r\nX: ${'y'.repeat(70 * 1024)}`));
    await expect(openLogStream(endless.docker, 'c0ffee', query, new AbortController().signal)).rejects.toThrow(
      /64 KiB of headers/,
    );
  });

  it('stops a stream that is waiting for data when its signal is aborted', async () => {
    const { docker } = await engine((socket) => socket.write('HTTP/1.0 200 OK\r\n\r\nhello'));
    const abort = new AbortController();
    const stream = await openLogStream(docker, 'c0ffee', query, abort.signal);
    const reading = readAll(stream as AsyncIterable<Buffer>);
    setTimeout(() => abort.abort(new Error('stopping')), 20);
    await expect(reading).rejects.toThrow('stopping');
  });

  it('leaves TLS engines to dockerode', async () => {
    const docker = new Dockerode({ host: 'docker.example', port: 2376, protocol: 'https' });
    await expect(openLogStream(docker, 'c0ffee', query, new AbortController().signal)).resolves.toBeUndefined();
  });
});
