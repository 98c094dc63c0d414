// Opens a container's followed log stream with an HTTP/1.0 request on a raw
// socket. Over HTTP/1.1 the engine sends every log line as its own chunk,
// and Node's HTTP client hands each chunk on as its own buffer: for short
// lines that per-line machinery (and its garbage) cost more than everything
// shiplog does with the line. An HTTP/1.0 client gets the body unchunked,
// read in socket-sized pieces, until the engine closes the connection.
//
// Only for what a plain socket reaches (a unix socket, or tcp without TLS);
// anything else (TLS, ssh) goes through dockerode as before.
import { connect, type Socket } from 'node:net';
import type Dockerode from 'dockerode';

export interface LogStream extends AsyncIterable<Buffer> {
  /** Bytes received but not yet taken. */
  readonly readableLength: number;
  destroy(): void;
}

interface ModemLike {
  socketPath?: string | (() => string | Promise<string>);
  host?: string;
  port?: number | string;
  protocol?: string;
  agent?: unknown;
  version?: string;
}

/** The most header bytes accepted before the body. */
const MAX_HEADER_BYTES = 64 * 1024;
/** The most error-body bytes kept for the message. */
const MAX_ERROR_BYTES = 64 * 1024;

/** An error from the engine, shaped as dockerode's (statusCode, json). */
export class EngineError extends Error {
  readonly statusCode: number;
  readonly json: unknown;
  constructor(statusCode: number, body: string) {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const said = (json as { message?: unknown } | undefined)?.message;
    super(`(HTTP code ${statusCode}) ${typeof said === 'string' ? said : body.trim() || 'no message'}`);
    this.statusCode = statusCode;
    this.json = json;
  }
}

/** Where a plain socket reaches the engine, or undefined when dockerode must do it. */
async function endpointOf(docker: Dockerode): Promise<{ path: string } | { host: string; port: number } | undefined> {
  const modem = (docker as unknown as { modem: ModemLike }).modem;
  if (modem.agent !== undefined) return undefined;
  // docker-modem's default is a function that finds the socket (/var/run/docker.sock, or the user's).
  const socketPath = typeof modem.socketPath === 'function' ? await modem.socketPath() : modem.socketPath;
  if (typeof socketPath === 'string' && socketPath !== '') return { path: socketPath };
  if (modem.socketPath === undefined && modem.host && (modem.protocol ?? 'http') === 'http') {
    return { host: modem.host, port: Number(modem.port ?? 2375) };
  }
  return undefined;
}

function queryString(query: Record<string, string | boolean>): string {
  return Object.entries(query)
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key)}=${encodeURIComponent(typeof value === 'boolean' ? (value ? '1' : '0') : value)}`,
    )
    .join('&');
}

/**
 * The log stream of container `id`, or undefined when the engine is not
 * reachable by a plain socket (the caller then uses dockerode). Rejects with
 * an EngineError for an HTTP error (404: no such container), or the socket's
 * error; aborting `signal` destroys the connection.
 */
export async function openLogStream(
  docker: Dockerode,
  id: string,
  query: Record<string, string | boolean>,
  signal: AbortSignal,
): Promise<LogStream | undefined> {
  const endpoint = await endpointOf(docker);
  if (!endpoint) return undefined;
  signal.throwIfAborted();
  const modem = (docker as unknown as { modem: ModemLike }).modem;
  const prefix = modem.version ? `/${modem.version}` : '';
  const socket = 'path' in endpoint ? connect(endpoint.path) : connect(endpoint.port, endpoint.host);
  const onAbort = () => {
    // The reader may not be iterating any more (it was paused, then stopped):
    // the abort must not surface as an unhandled 'error' event.
    socket.on('error', () => undefined);
    socket.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    socket.write(
      `GET ${prefix}/containers/${encodeURIComponent(id)}/logs?${queryString(query)} HTTP/1.0\r\n` +
        'Host: docker\r\nUser-Agent: shiplog\r\n\r\n',
    );
    const { status, rest } = await readHead(socket);
    if (status !== 200) throw new EngineError(status, await readBody(socket, rest));
    return new SocketLogStream(socket, rest, () => signal.removeEventListener('abort', onAbort));
  } catch (error) {
    signal.removeEventListener('abort', onAbort);
    socket.destroy();
    throw error;
  }
}

/** Reads the status line and headers; returns the status and the body bytes that came with them. */
async function readHead(socket: Socket): Promise<{ status: number; rest: Buffer }> {
  let head: Buffer = Buffer.alloc(0);
  for await (const chunk of socket.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end >= 0) {
      const statusLine = head.toString('latin1', 0, head.indexOf('\r\n'));
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
      if (!match) throw new Error(`the engine answered with "${statusLine.slice(0, 80)}", not HTTP`);
      return { status: Number(match[1]), rest: head.subarray(end + 4) };
    }
    if (head.length > MAX_HEADER_BYTES) throw new Error('the engine sent more than 64 KiB of headers');
  }
  throw new Error('the engine closed the connection before answering');
}

/** The rest of an error answer, bounded. */
async function readBody(socket: Socket, first: Buffer): Promise<string> {
  const parts = [first];
  let size = first.length;
  for await (const chunk of socket.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    if (size >= MAX_ERROR_BYTES) break;
    parts.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(parts).toString('utf8', 0, Math.min(size, MAX_ERROR_BYTES));
}

class SocketLogStream implements LogStream {
  readonly #socket: Socket;
  #first: Buffer | undefined;
  readonly #done: () => void;

  constructor(socket: Socket, first: Buffer, done: () => void) {
    this.#socket = socket;
    this.#first = first.length > 0 ? first : undefined;
    this.#done = done;
  }

  get readableLength(): number {
    return this.#socket.readableLength;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      if (this.#first) {
        const first = this.#first;
        this.#first = undefined;
        yield first;
      }
      yield* this.#socket.iterator({ destroyOnReturn: true }) as AsyncIterable<Buffer>;
    } finally {
      this.#done();
    }
  }

  destroy(): void {
    this.#done();
    this.#socket.destroy();
  }
}
