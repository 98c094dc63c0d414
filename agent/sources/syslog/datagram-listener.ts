// The UDP listener (RFC 5426): one datagram is one message, with or without
// a trailing LF, up to 64 KiB (cut at max_message_bytes and flagged). UDP
// cannot be paused: while the intake is full, datagrams are dropped and
// counted (backlog_full), and what the kernel dropped because the receive
// buffer overflowed is read from /proc/net/udp and counted too
// (receive_buffer_full), so every loss has a number and a reason.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import type { Telemetry } from '../../pipeline/types.ts';
import { parseListen } from '../../status/server.ts';
import { cutPoint, trimEnd } from './framing.ts';
import { kernelUdpDrops } from './kernel-drops.ts';
import { type Peer, plainIp } from './messages.ts';
import type { Datagram, Receiver } from './receiver.ts';
import type { ListenerStats } from './stats.ts';

const COMPONENT = 'syslog_udp';
/** Senders remembered for their ids and multiline state; past this many, all are forgotten at once. */
const MAX_PEERS = 4096;

export interface DatagramListenerOptions {
  listen: string;
  maxMessageBytes: number;
  receiveBufferBytes: number;
  receiver: Receiver;
  telemetry: Telemetry;
  /** How often the kernel's drop count is read. */
  kernelPollMs?: number;
}

export class DatagramListener {
  readonly stats: ListenerStats;
  readonly #options: DatagramListenerOptions;
  readonly #peers = new Map<string, Peer>();
  #pending: Datagram[] = [];
  #lastPeer: Peer | undefined;
  #lastAddress = '';
  #socket: dgram.Socket | undefined;
  #position = 0;
  #startedAt = 0;
  #kernelBase: number | undefined;
  #kernelSeen = 0;
  #timer: NodeJS.Timeout | undefined;
  #host = '';
  #port = 0;

  constructor(options: DatagramListenerOptions) {
    this.#options = options;
    this.stats = {
      transport: 'udp',
      address: options.listen,
      messages: 0,
      bytes: 0,
      truncated: 0,
      malformed: 0,
      dropped_backlog: 0,
      dropped_kernel: 0,
    };
  }

  async start(): Promise<void> {
    const { listen } = this.#options;
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseListen(listen));
    } catch (error) {
      throw new CodedError(agentErrors.SYSLOG_LISTEN, { listen, protocol: 'udp', detail: String(error) });
    }
    const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          new CodedError(agentErrors.SYSLOG_LISTEN, { listen, protocol: 'udp', detail: error.code ?? error.message }),
        ),
      );
      socket.bind({ address: host, port, exclusive: true }, () => resolve());
    });
    socket.on('error', () => undefined);
    try {
      socket.setRecvBufferSize(this.#options.receiveBufferBytes);
    } catch {
      // The kernel keeps its own size; stats.receive_buffer says which.
    }
    this.stats.receive_buffer = socket.getRecvBufferSize();
    const bound = socket.address();
    this.#host = bound.address;
    this.#port = bound.port;
    this.stats.address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
    this.#startedAt = Date.now();
    this.#kernelBase = await kernelUdpDrops(this.#host, this.#port);
    socket.on('message', (message, rinfo) => this.#message(message, rinfo));
    this.#socket = socket;
    this.#timer = setInterval(() => void this.pollKernelDrops(), this.#options.kernelPollMs ?? 2000);
    this.#timer.unref();
  }

  /** Reads the kernel's drop count and counts what is new. */
  async pollKernelDrops(): Promise<void> {
    if (this.#kernelBase === undefined || this.#port === 0) return;
    const drops = await kernelUdpDrops(this.#host, this.#port);
    if (drops === undefined) return;
    const total = drops - this.#kernelBase;
    if (total > this.#kernelSeen) {
      this.#options.telemetry.eventsDropped(COMPONENT, 'receive_buffer_full', total - this.#kernelSeen, false);
      this.#kernelSeen = total;
      this.stats.dropped_kernel = total;
    }
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    if (this.#timer) clearInterval(this.#timer);
    await this.pollKernelDrops();
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    if (this.#pending.length > 0) this.#flush();
    for (const peer of this.#peers.values()) this.#options.receiver.closeStream(peer);
    this.#peers.clear();
  }

  #message(message: Buffer, rinfo: dgram.RemoteInfo): void {
    const receiver = this.#options.receiver;
    if (receiver.intake.full) {
      this.stats.dropped_backlog = (this.stats.dropped_backlog ?? 0) + 1;
      this.#options.telemetry.eventsDropped(COMPONENT, 'backlog_full', 1, false);
      return;
    }
    let bytes = trimEnd(message);
    const max = this.#options.maxMessageBytes;
    const truncated = bytes.length > max;
    if (truncated) bytes = bytes.subarray(0, cutPoint(bytes, 0, max));
    // Datagrams that arrive in one turn of the event loop go through the stage together.
    this.#pending.push({ peer: this.#peer(rinfo), bytes, start: this.#position++, truncated });
    if (this.#pending.length === 1) setImmediate(this.#flush);
  }

  readonly #flush = (): void => {
    const batch = this.#pending;
    this.#pending = [];
    this.#options.receiver.receiveBatch(batch, this.stats, COMPONENT);
  };

  #peer(rinfo: dgram.RemoteInfo): Peer {
    // Most datagrams come from the sender of the one before.
    const last = this.#lastPeer;
    if (last !== undefined && last.port === rinfo.port && this.#lastAddress === rinfo.address) return last;
    const id = `${rinfo.address}:${rinfo.port}`;
    let peer = this.#peers.get(id);
    if (peer === undefined) {
      if (this.#peers.size >= MAX_PEERS) {
        for (const old of this.#peers.values()) this.#options.receiver.closeStream(old);
        this.#peers.clear();
        this.#lastPeer = undefined;
      }
      const ip = plainIp(rinfo.address);
      peer = { key: `udp:${this.stats.address}:${this.#startedAt}:${ip}:${rinfo.port}`, ip, port: rinfo.port };
      this.#peers.set(id, peer);
    }
    this.#lastPeer = peer;
    this.#lastAddress = rinfo.address;
    return peer;
  }
}
