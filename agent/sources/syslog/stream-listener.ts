// The TCP (RFC 6587) and TLS (RFC 5425) listeners: one framing decoder per
// connection, an idle timeout, a cap on connections, and reading paused
// while the intake is full, so a full spool pushes back on the senders
// instead of losing what they send.
import net from 'node:net';
import tls from 'node:tls';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { parseListen } from '../../status/server.ts';
import { type Frame, FrameDecoder } from './framing.ts';
import { type Peer, plainIp } from './messages.ts';
import type { Receiver } from './receiver.ts';
import type { ListenerStats } from './stats.ts';

export interface StreamListenerOptions {
  transport: 'tcp' | 'tls';
  listen: string;
  maxMessageBytes: number;
  maxConnections: number;
  idleMs: number;
  /** For TLS: certificate, key and (to require client certificates) the client CA. */
  tls?: tls.TlsOptions;
  receiver: Receiver;
}

export class StreamListener {
  readonly stats: ListenerStats;
  readonly #options: StreamListenerOptions;
  readonly #component: string;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  #paused = false;
  #serial = 0;

  constructor(options: StreamListenerOptions) {
    this.#options = options;
    this.#component = `syslog_${options.transport}`;
    this.stats = {
      transport: options.transport,
      address: options.listen,
      messages: 0,
      bytes: 0,
      truncated: 0,
      malformed: 0,
      connections: 0,
      accepted: 0,
      refused: 0,
      idle_closed: 0,
      paused: false,
      ...(options.transport === 'tls' ? { handshake_failed: 0 } : {}),
    };
  }

  async start(): Promise<void> {
    const { transport, listen } = this.#options;
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseListen(listen));
    } catch (error) {
      throw new CodedError(agentErrors.SYSLOG_LISTEN, { listen, protocol: transport, detail: String(error) });
    }
    const server =
      transport === 'tls'
        ? tls.createServer({ ...this.#options.tls }, (socket) => this.#connection(socket))
        : net.createServer((socket) => this.#connection(socket));
    server.maxConnections = this.#options.maxConnections;
    server.on('drop', () => {
      this.stats.refused = (this.stats.refused ?? 0) + 1;
    });
    if (server instanceof tls.Server) {
      server.on('tlsClientError', (error) => {
        this.stats.handshake_failed = (this.stats.handshake_failed ?? 0) + 1;
        this.stats.last_handshake_error = error.message;
      });
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new CodedError(agentErrors.SYSLOG_LISTEN, {
            listen,
            protocol: transport,
            detail: error.code ?? error.message,
          }),
        ),
      );
      server.listen({ host, port }, () => resolve());
    });
    server.on('error', () => undefined);
    const bound = server.address() as net.AddressInfo;
    this.stats.address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
    this.#server = server;
  }

  /** Stops (true) or resumes (false) reading every connection. */
  pause(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    this.stats.paused = paused;
    for (const socket of this.#sockets) this.#apply(socket);
  }

  /** Stops accepting, closes the connections after a moment for what is in flight, and flushes their frames. */
  async stop(graceMs: number): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.pause(false);
    for (const socket of this.#sockets) socket.end();
    const timer = setTimeout(() => {
      for (const socket of this.#sockets) socket.destroy();
    }, graceMs);
    await closed;
    clearTimeout(timer);
  }

  #apply(socket: net.Socket): void {
    if (this.#paused) {
      socket.pause();
      // A paused connection is quiet because of us, not because the sender is idle.
      socket.setTimeout(0);
    } else {
      socket.resume();
      socket.setTimeout(this.#options.idleMs);
    }
  }

  #connection(socket: net.Socket): void {
    const stats = this.stats;
    const receiver = this.#options.receiver;
    const ip = plainIp(socket.remoteAddress);
    const port = socket.remotePort ?? 0;
    const peer: Peer = {
      key: `${this.#options.transport}:${stats.address}:${ip}:${port}:${Date.now()}.${++this.#serial}`,
      ip,
      port,
    };
    const decoder = new FrameDecoder(this.#options.maxMessageBytes);
    const frames: Frame[] = [];
    this.#sockets.add(socket);
    stats.connections = (stats.connections ?? 0) + 1;
    stats.accepted = (stats.accepted ?? 0) + 1;
    socket.on('timeout', () => {
      stats.idle_closed = (stats.idle_closed ?? 0) + 1;
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk, frames);
      if (frames.length === 0) return;
      receiver.receive(peer, frames, stats, this.#component);
      frames.length = 0;
    });
    // A reset by the sender ends the connection like a close; nothing to report.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      decoder.end(frames);
      if (frames.length > 0) receiver.receive(peer, frames, stats, this.#component);
      receiver.closeStream(peer);
      this.#sockets.delete(socket);
      stats.connections = (stats.connections ?? 1) - 1;
    });
    this.#apply(socket);
  }
}
