// The upload loop against a scripted HTTP server, for the answers the real
// portal (test/e2e/upload.test.ts) cannot be made to give on purpose: 5xx with
// Retry-After, an address on another server, a portal that is down, a
// receipt for other bytes.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { writeState } from '../../../../agent/upload/state.ts';
import { bundleKind, type UploadEvent, uploadBundle } from '../../../../agent/upload/upload.ts';
import { tempDir } from '../../../helpers/temp.ts';

const token = 'slc_secret-that-must-never-be-printed-xxxxxxxxxxxxxxxxx';
const uploadPath = '/api/v1/uploads/0123456789abcdef0123456789abcdef';

interface Seen {
  method: string;
  url: string;
  offset?: string;
  bytes: number;
  authorization?: string;
}

type Script = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;

const servers: Array<{ close: () => void }> = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A server answering each request with the next function of `script` (the last one repeats). */
async function scripted(...script: Script[]) {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({
        method: request.method ?? '',
        url: request.url ?? '',
        bytes: body.length,
        ...(request.headers['upload-offset'] !== undefined && { offset: String(request.headers['upload-offset']) }),
        ...(request.headers.authorization !== undefined && { authorization: request.headers.authorization }),
      });
      const step = script[Math.min(seen.length - 1, script.length - 1)] as Script;
      step(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => server.close() });
  const endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/uploads`);
  return { endpoint, seen };
}

function bundleFile(size = 50_000): { path: string; bytes: Buffer } {
  const bytes = gzipSync(
    Buffer.from(Array.from({ length: size }, (_, i) => String.fromCharCode(32 + ((i * 7919) % 90))).join('')),
  );
  const path = join(tempDir('shiplog-upload-loop-'), 'b.tar.gz');
  writeFileSync(path, bytes);
  return { path, bytes };
}

function receiptFor(bytes: Buffer, id = 'b0123456789abcdef01234567') {
  const fields = {
    id,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    size: bytes.length,
    tenant: 'acme',
    collector_key: 'SHA256:portal',
  };
  const signed = `${JSON.stringify({ type: 'shiplog-receipt', version: 1, ...fields })}\n`;
  const receipt = { ...fields, received_at: '2026-11-25T03:00:00.000Z', signed, signature: 'sig' };
  return Buffer.from(JSON.stringify(receipt)).toString('base64');
}

const created: Script = (_request, _body, response) => {
  response.writeHead(201, { location: uploadPath, 'tus-resumable': '1.0.0' }).end();
};
const finished =
  (bytes: Buffer, receipt = receiptFor(bytes)): Script =>
  (request, body, response) => {
    const offset = Number(request.headers['upload-offset']) + body.length;
    response
      .writeHead(204, { 'upload-offset': String(offset), 'shiplog-receipt': receipt, 'shiplog-bundle-id': 'b1' })
      .end();
  };
const status =
  (code: number, headers: Record<string, string> = {}, body = ''): Script =>
  (_request, _body, response) => {
    response.writeHead(code, headers).end(body);
  };

describe('uploading a bundle', () => {
  it('creates the upload, sends the file in one PATCH and returns the receipt', async () => {
    const { path, bytes } = bundleFile();
    const { endpoint, seen } = await scripted(created, finished(bytes));
    const result = await uploadBundle({ bundle: path, endpoint, token });
    expect(result).toMatchObject({ bundleId: 'b0123456789abcdef01234567', size: bytes.length, resumedAt: 0 });
    expect(seen.map((request) => [request.method, request.url, request.offset, request.bytes])).toEqual([
      ['POST', '/api/v1/uploads', undefined, 0],
      ['PATCH', uploadPath, '0', bytes.length],
    ]);
    expect(seen.every((request) => request.authorization === `Bearer ${token}`)).toBe(true);
  });

  it('waits out 5xx answers (as long as Retry-After says) and goes on from the offset the portal holds', async () => {
    const { path, bytes } = bundleFile();
    const half = Math.floor(bytes.length / 2);
    const { endpoint, seen } = await scripted(
      created,
      status(503, { 'retry-after': '0' }),
      (_request, _body, response) =>
        response.writeHead(200, { 'upload-offset': String(half), 'upload-length': String(bytes.length) }).end(),
      finished(bytes),
    );
    const events: UploadEvent[] = [];
    const result = await uploadBundle({
      bundle: path,
      endpoint,
      token,
      retryDelaysMs: [5000],
      onEvent: (e) => events.push(e),
    });
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(seen.map((request) => [request.method, request.offset])).toEqual([
      ['POST', undefined],
      ['PATCH', '0'],
      ['HEAD', undefined],
      ['PATCH', String(half)],
    ]);
    expect(seen[3]?.bytes).toBe(bytes.length - half);
    expect(events).toEqual([
      { kind: 'retrying', reason: 'HTTP 503', delayMs: 0, attempt: 2, attempts: 2 },
      { kind: 'resumed', offset: half, size: bytes.length, first: false },
    ]);
  });

  it('resumes from a stored upload, and starts a new one when the portal no longer has it', async () => {
    const { path, bytes } = bundleFile();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const { endpoint, seen } = await scripted(status(404), created, finished(bytes));
    await writeState(path, {
      endpoint: endpoint.href,
      upload_url: `${endpoint.origin}/api/v1/uploads/gone`,
      size: bytes.length,
      sha256,
    });
    const events: UploadEvent[] = [];
    await uploadBundle({ bundle: path, endpoint, token, onEvent: (e) => events.push(e) });
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'HEAD /api/v1/uploads/gone',
      'POST /api/v1/uploads',
      `PATCH ${uploadPath}`,
    ]);
    expect(events).toEqual([{ kind: 'restarted', reason: 'the portal no longer has the earlier upload' }]);
  });

  it('gives up on a portal that is down after the bounded retries, saying how far it got', async () => {
    const { path } = bundleFile();
    const { endpoint } = await scripted(status(500));
    servers.splice(0).forEach((server) => {
      server.close();
    });
    const attempt = uploadBundle({ bundle: path, endpoint, token, retryDelaysMs: [0, 0] });
    await expect(attempt).rejects.toMatchObject({ code: 'SHIPLOG_ERR_UPLOAD_UNREACHABLE' });
    const error = (await attempt.catch((e: Error) => e)) as Error;
    expect(error.message).toContain('gave up after 3 attempts, with 0 B of');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(token);
  });

  it.each([
    [401, 'SHIPLOG_ERR_UPLOAD_TOKEN_REFUSED'],
    [403, 'SHIPLOG_ERR_UPLOAD_TOKEN_REFUSED'],
    [413, 'SHIPLOG_ERR_UPLOAD_TOO_LARGE'],
    [415, 'SHIPLOG_ERR_UPLOAD_NOT_A_BUNDLE'],
    [404, 'SHIPLOG_ERR_UPLOAD_REFUSED'],
  ])('stops at once when creation answers %i (%s)', async (code, expected) => {
    const { path } = bundleFile();
    const body = JSON.stringify({ error: { code: 'COLLECTOR_ERR_X', message: 'the portal says no.' } });
    const { endpoint, seen } = await scripted(status(code, { 'content-type': 'application/json' }, body));
    const error = (await uploadBundle({ bundle: path, endpoint, token }).catch((e: Error) => e)) as Error;
    expect(error).toMatchObject({ code: expected });
    expect(error.message).toContain('the portal says no. [COLLECTOR_ERR_X]');
    expect(error.message).not.toContain(token);
    expect(seen).toHaveLength(1);
  });

  it('sends its token nowhere but the portal: an upload address on another server is refused', async () => {
    const { path } = bundleFile();
    const { endpoint, seen } = await scripted(status(201, { location: 'https://collect.evil.example/u/1' }));
    await expect(uploadBundle({ bundle: path, endpoint, token })).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_UPLOAD_REFUSED',
      message: expect.stringContaining('on another server (https://collect.evil.example/u/1)'),
    });
    expect(seen).toHaveLength(1);
  });

  it('keeps no receipt for other bytes than the file holds', async () => {
    const { path, bytes } = bundleFile();
    const { endpoint } = await scripted(created, finished(bytes, receiptFor(Buffer.from('other bytes'))));
    await expect(uploadBundle({ bundle: path, endpoint, token })).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_UPLOAD_MISMATCH',
    });
  });

  it('refuses a file that is no bundle, or none at all, before sending anything', async () => {
    const dir = tempDir('shiplog-upload-loop-');
    writeFileSync(join(dir, 'notes.txt'), 'not a bundle\n');
    writeFileSync(join(dir, 'empty.tar.gz'), '');
    const { endpoint, seen } = await scripted(created);
    await expect(uploadBundle({ bundle: join(dir, 'notes.txt'), endpoint, token })).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_UPLOAD_NOT_A_BUNDLE',
    });
    await expect(uploadBundle({ bundle: join(dir, 'empty.tar.gz'), endpoint, token })).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_UPLOAD_NOT_A_BUNDLE',
      message: expect.stringContaining('it is empty'),
    });
    await expect(uploadBundle({ bundle: join(dir, 'absent.tar.gz'), endpoint, token })).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_UPLOAD_UNREADABLE',
      message: expect.stringContaining('ENOENT'),
    });
    await expect(uploadBundle({ bundle: dir, endpoint, token })).rejects.toMatchObject({
      code: 'SHIPLOG_ERR_UPLOAD_UNREADABLE',
    });
    expect(seen).toEqual([]);
  });

  it('tells the three kinds of bundle by their first bytes', () => {
    expect(bundleKind(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(bundleKind(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toBe('zstd');
    expect(bundleKind(Buffer.from('age-encryption.org/v1\n-> X25519 abc\n'))).toBe('age');
    expect(bundleKind(Buffer.from('-----BEGIN AGE ENCRYPTED FILE-----'))).toBeUndefined();
    expect(bundleKind(Buffer.alloc(0))).toBeUndefined();
  });
});
