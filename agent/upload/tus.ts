// The three tus 1.0 requests `shiplog upload` makes, over node:http and
// node:https: create an upload, ask where it stands, append the rest of the
// file from there. Each resolves to the portal's answer, whatever its status
// (retry.ts judges it), and rejects with a TransportError when no answer came:
// refused, reset, or silent for longer than the timeout. The token goes in
// the Authorization header of each request and nowhere else.
import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export const tusVersion = '1.0.0';
/** More of an answer's body than this is not kept: only error messages are read from it. */
const maxBody = 64 * 1024;

export interface TusAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** No answer: the connection failed, broke or went silent. */
export class TransportError extends Error {
  /** ECONNREFUSED, ECONNRESET, ETIMEDOUT, ... */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'TransportError';
    this.code = code;
  }
}

export interface TusConnection {
  readonly token: string;
  /** A request with no byte moving either way for this long is given up (ETIMEDOUT). */
  readonly timeoutMs: number;
}

/** POST: a new upload of `size` bytes named `filename`; 201 with Location on success. */
export function createUpload(
  endpoint: URL,
  connection: TusConnection,
  size: number,
  filename: string,
): Promise<TusAnswer> {
  return send(endpoint, 'POST', connection, {
    'Upload-Length': String(size),
    'Upload-Metadata': `filename ${Buffer.from(filename).toString('base64')}`,
    'Content-Length': '0',
  });
}

/** HEAD: where the upload stands (Upload-Offset), and for a finished one, its outcome. */
export function headUpload(url: URL, connection: TusConnection): Promise<TusAnswer> {
  return send(url, 'HEAD', connection, {});
}

/** PATCH: the bytes of `file` from `offset` to its end (`size`); 204 with the new Upload-Offset on success. */
export function patchUpload(
  url: URL,
  connection: TusConnection,
  file: string,
  offset: number,
  size: number,
): Promise<TusAnswer> {
  const headers = {
    'Upload-Offset': String(offset),
    'Content-Type': 'application/offset+octet-stream',
    'Content-Length': String(size - offset),
  };
  return send(url, 'PATCH', connection, headers, { file, offset, size });
}

function send(
  url: URL,
  method: string,
  connection: TusConnection,
  headers: Record<string, string>,
  body?: { file: string; offset: number; size: number },
): Promise<TusAnswer> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method,
      // One connection per request: a reused socket the portal already closed would only add failures.
      agent: false,
      headers: { ...headers, 'Tus-Resumable': tusVersion, Authorization: `Bearer ${connection.token}` },
    });
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      request.destroy();
      reject(error);
    };
    request.setTimeout(connection.timeoutMs, () =>
      fail(new TransportError('ETIMEDOUT', `no answer for ${Math.round(connection.timeoutMs / 1000)} s`)),
    );
    request.on('error', (error: NodeJS.ErrnoException) =>
      fail(new TransportError(error.code ?? 'ECONNRESET', error.message)),
    );
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      response.on('data', (chunk: Buffer) => {
        if (kept < maxBody) chunks.push(chunk.subarray(0, maxBody - kept));
        kept += chunk.length;
      });
      response.on('error', (error: NodeJS.ErrnoException) =>
        fail(new TransportError(error.code ?? 'ECONNRESET', error.message)),
      );
      response.on('end', () => {
        if (settled) return;
        settled = true;
        // The portal may answer (an error) before it read the whole body: stop sending.
        if (!request.writableFinished) request.destroy();
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    if (!body || body.offset >= body.size) {
      request.end();
      return;
    }
    const source = createReadStream(body.file, { start: body.offset, end: body.size - 1, highWaterMark: 256 * 1024 });
    // A file that cannot be read is the bundle's problem, not the network's: it rejects with the fs error.
    source.on('error', (error) => fail(error));
    request.on('close', () => source.destroy());
    source.pipe(request);
  });
}
