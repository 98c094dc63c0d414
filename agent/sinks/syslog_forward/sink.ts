// Forwards events to the customer's SIEM as syslog over TCP, TLS or UDP.
//
// What plain TCP can promise: a write that returned only means the kernel took
// the bytes. A receiver that goes away (restart, crash) may have read them, or
// may drop what sat in its socket buffer, and the sender learns it only from
// a FIN or a reset that arrives later. So a batch counts as delivered (and is
// acknowledged in the spool) only once it was written AND the connection stood
// for `confirm_after` afterwards. When the connection ends first, every batch
// not yet confirmed is written again, in order, on a new connection: nothing
// is lost, and the receiver may see a few events twice, each carrying the
// same event_id in structured data so a SIEM can fold them.
//
// One ending tells more: a receiver that closes cleanly (FIN, as rsyslog does
// on a restart) had read everything that reached it, since a socket closed
// with unread data answers with a reset instead. Only what was still on the
// wire can be missing then, so batches written more than a few round trips
// before the FIN count as delivered, and only the last moments are sent again.
// UDP promises nothing beyond the datagram leaving this host (docs/agent.md).
//
// syslog-client is not used here: it has no TLS, no octet counting and no
// structured data (docs/decisions.md).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { CodedError } from '../../../core/coded-error.ts';
import { parseBytes, parseDuration } from '../../../core/units.ts';
import type { SyslogForwardConfig } from '../../../schemas/agent-config.ts';
import type { LogEvent } from '../../../schemas/log-event.ts';
import { agentErrors } from '../../errors.ts';
import type { Telemetry } from '../../pipeline/types.ts';
import { backoffMs } from '../backoff.ts';
import { DeadLetterFile } from '../dead-letter.ts';
import type { DeliveryReport, Sink, SinkHealthBase } from '../types.ts';
import { type Framing, facilityCode, formatMessage, frame, type MessageFormat } from './format.ts';

const component = 'syslog_forward';
// The largest UDP payload over IPv4.
const MAX_DATAGRAM = 65_507;
const CONNECT_TIMEOUT_MS = 10_000;

export interface SyslogForwardDeps {
  config: SyslogForwardConfig;
  dataDir: string;
  telemetry: Telemetry;
  onError?: (error: CodedError) => void;
  /** Injected for tests of the backoff; defaults to timers/promises. */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface SyslogForwardHealth extends SinkHealthBase {
  address: string;
  transport: 'tcp' | 'tls' | 'udp';
  format: 'rfc5424' | 'rfc3164';
  connected: boolean;
  /** Events written and waiting for the connection to stand confirm_after. */
  unconfirmed: number;
  /** Events waiting for a connection. */
  queued: number;
}

interface Pending {
  readonly data: Buffer;
  readonly count: number;
  writtenAt?: number;
  settle(error?: unknown): void;
}

type StreamSocket = Socket;

export function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!host || !(port > 0 && port < 65536)) throw new RangeError(`not a HOST:PORT address: ${address}`);
  return { host, port };
}

export class SyslogForwardSink implements Sink {
  private readonly config: SyslogForwardConfig;
  private readonly host: string;
  private readonly port: number;
  private readonly telemetry: Telemetry;
  private readonly onError: (error: CodedError) => void;
  private readonly wait: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly format: MessageFormat;
  private readonly framing: Framing;
  private readonly confirmAfterMs: number;
  private readonly deadLetter: DeadLetterFile;
  private readonly tlsFiles: { ca?: string; cert?: string; key?: string };
  private readonly closing = new AbortController();
  private readonly stats: SyslogForwardHealth;
  private queue: Pending[] = [];
  private unconfirmed: Pending[] = [];
  private socket: StreamSocket | undefined;
  private udp: UdpSocket | undefined;
  private pumping = false;
  private connecting: Promise<StreamSocket | undefined> | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** How long the last connection took to open: the yardstick for "still on the wire". */
  private connectMs = 0;

  constructor(deps: SyslogForwardDeps) {
    this.config = deps.config;
    ({ host: this.host, port: this.port } = parseAddress(deps.config.address));
    this.telemetry = deps.telemetry;
    this.onError = deps.onError ?? (() => {});
    this.wait = deps.wait ?? ((ms, signal) => sleep(ms, undefined, { signal }));
    const udp = deps.config.transport === 'udp';
    const maxBytes = parseBytes(deps.config.max_message_bytes);
    this.format = {
      format: deps.config.format,
      facility: facilityCode(deps.config.facility),
      sdId: deps.config.sd_id,
      maxBytes: udp ? Math.min(maxBytes, MAX_DATAGRAM) : maxBytes,
    };
    this.framing = udp ? 'datagram' : deps.config.framing;
    this.confirmAfterMs = parseDuration(deps.config.confirm_after);
    this.deadLetter = new DeadLetterFile(join(deps.dataDir, 'dead-letter'), component);
    this.tlsFiles = deps.config.transport === 'tls' ? readTlsFiles(deps.config) : {};
    this.stats = {
      state: 'connecting',
      address: deps.config.address,
      transport: deps.config.transport,
      format: deps.config.format,
      connected: false,
      unconfirmed: 0,
      queued: 0,
      delivered: 0,
      rejected: 0,
      retries: 0,
      deadLetterPath: this.deadLetter.path,
    };
  }

  health(): SyslogForwardHealth {
    return {
      ...structuredClone(this.stats),
      connected: this.socket !== undefined || this.udp !== undefined,
      unconfirmed: this.unconfirmed.reduce((sum, p) => sum + p.count, 0),
      queued: this.queue.reduce((sum, p) => sum + p.count, 0),
    };
  }

  /** Opens the TCP or TLS connection now, so a wrong address or certificate shows before the first event. */
  start(): void {
    if (this.framing !== 'datagram') void this.ensureConnected();
  }

  async deliverRecords(records: readonly string[], signal?: AbortSignal): Promise<DeliveryReport> {
    const messages: string[] = [];
    const undecodable: string[] = [];
    for (const record of records) {
      let event: LogEvent;
      try {
        event = JSON.parse(record) as LogEvent;
      } catch {
        undecodable.push(record);
        continue;
      }
      messages.push(frame(formatMessage(event, this.format), this.framing));
    }
    if (undecodable.length > 0) await this.refuse(undecodable);
    const report = { delivered: messages.length, duplicates: 0, rejected: undecodable.length };
    if (messages.length === 0) return report;
    if (this.framing === 'datagram') {
      await this.sendDatagrams(messages, signal);
    } else {
      await this.enqueue(Buffer.from(messages.join(''), 'utf8'), messages.length, signal);
    }
    return report;
  }

  async close(): Promise<void> {
    this.closing.abort();
    clearTimeout(this.confirmTimer);
    const left = [...this.unconfirmed, ...this.queue];
    this.unconfirmed = [];
    this.queue = [];
    for (const pending of left) pending.settle(new Error('the syslog forward sink closed; the spool keeps the batch'));
    this.socket?.destroy();
    this.socket = undefined;
    this.udp?.close();
    this.udp = undefined;
  }

  // ---------------------------------------------------------------- TCP and TLS

  private enqueue(data: Buffer, count: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.queue = this.queue.filter((p) => p !== pending);
        this.unconfirmed = this.unconfirmed.filter((p) => p !== pending);
        reject(signal?.reason ?? new Error('aborted'));
      };
      const pending: Pending = {
        data,
        count,
        settle: (error) => {
          signal?.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else resolve();
        },
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(pending);
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closing.signal.aborted) {
        const socket = this.socket ?? (await this.ensureConnected());
        if (!socket) return;
        const pending = this.queue.shift();
        if (!pending) break;
        this.unconfirmed.push(pending);
        const failure = await new Promise<Error | undefined>((resolve) => {
          if (socket.destroyed || !socket.writable) resolve(new Error('the connection was already closed'));
          else socket.write(pending.data, (error) => resolve(error ?? undefined));
        });
        if (failure) {
          // Settled here rather than on 'close', which a failed write only schedules: the
          // batch goes back to the queue and the next turn of the loop connects anew.
          this.connectionLost(socket, failure);
          continue;
        }
        if (socket !== this.socket) continue;
        pending.writtenAt = Date.now();
        this.scheduleConfirm();
      }
    } finally {
      this.pumping = false;
    }
  }

  private scheduleConfirm(): void {
    if (this.confirmTimer) return;
    const first = this.unconfirmed[0];
    if (first?.writtenAt === undefined) return;
    const due = Math.max(0, first.writtenAt + this.confirmAfterMs - Date.now());
    this.confirmTimer = setTimeout(() => {
      this.confirmTimer = undefined;
      this.confirm();
      this.scheduleConfirm();
    }, due);
  }

  /** Settles the batches written at or before `writtenBy`, in order. */
  private confirm(writtenBy = Date.now() - this.confirmAfterMs): void {
    let events = 0;
    let bytes = 0;
    while (this.unconfirmed.length > 0) {
      const first = this.unconfirmed[0] as Pending;
      if (first.writtenAt === undefined || first.writtenAt > writtenBy) break;
      this.unconfirmed.shift();
      events += first.count;
      bytes += first.data.length;
      first.settle();
    }
    if (events === 0) return;
    this.stats.delivered += events;
    this.stats.state = 'healthy';
    this.stats.lastSuccessAt = new Date().toISOString();
    this.telemetry.eventsSent(component, events, bytes);
  }

  /** One connection attempt loop at a time, shared by start() and the pump. */
  private ensureConnected(): Promise<StreamSocket | undefined> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= this.connectStream().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Connects, retrying with backoff until it works or the sink closes (then undefined). */
  private async connectStream(): Promise<StreamSocket | undefined> {
    while (!this.closing.signal.aborted) {
      try {
        const socket = await this.openStream();
        this.adopt(socket);
        this.failures = 0;
        return socket;
      } catch (error) {
        this.recordFailure(error);
        this.stats.state = 'retrying';
        try {
          await this.wait(backoffMs(this.failures++, isTlsFailure(error)), this.closing.signal);
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  }

  private openStream(): Promise<StreamSocket> {
    const started = Date.now();
    return new Promise<StreamSocket>((resolve, reject) => {
      const tls = this.config.transport === 'tls';
      const tlsConfig = this.config.tls;
      const socket = tls
        ? tlsConnect({
            host: this.host,
            port: this.port,
            ca: this.tlsFiles.ca,
            cert: this.tlsFiles.cert,
            key: this.tlsFiles.key,
            servername: tlsConfig?.server_name ?? (isIP(this.host) ? undefined : this.host),
            rejectUnauthorized: tlsConfig?.verify ?? true,
          })
        : netConnect({ host: this.host, port: this.port });
      const fail = (error: Error) => {
        socket.destroy();
        reject(error);
      };
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => fail(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`)));
      socket.once('error', fail);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        socket.setTimeout(0);
        socket.off('error', fail);
        this.connectMs = Date.now() - started;
        resolve(socket);
      });
    });
  }

  private adopt(socket: StreamSocket): void {
    this.socket = socket;
    socket.setKeepAlive(true, 30_000);
    // A syslog receiver sends nothing; whatever it does send is read and dropped.
    socket.resume();
    let cause: Error | undefined;
    socket.on('error', (error) => {
      cause = error;
    });
    // A clean close: what was written well before it was read (see the top of this file).
    socket.once('end', () => {
      if (!cause && socket === this.socket) this.confirm(Date.now() - Math.max(20, 2 * this.connectMs));
      this.connectionLost(socket, cause);
    });
    // A reset, an error, or our own destroy.
    socket.once('close', () => this.connectionLost(socket, cause));
  }

  private connectionLost(socket: StreamSocket, cause: Error | undefined): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    socket.destroy();
    clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
    const lost = this.unconfirmed;
    this.unconfirmed = [];
    for (const pending of lost) pending.writtenAt = undefined;
    this.queue.unshift(...lost);
    const count = lost.reduce((sum, p) => sum + p.count, 0);
    if (this.closing.signal.aborted) return;
    this.stats.state = 'retrying';
    if (count > 0) {
      this.stats.retries += count;
      this.report(
        new CodedError(agentErrors.SINK_SYSLOG_CONNECTION_LOST, {
          address: this.config.address,
          count,
          detail: cause ? describe(cause) : 'closed by the receiver',
        }),
      );
    } else if (cause) {
      this.recordFailure(cause);
    }
    void this.pump();
  }

  // ---------------------------------------------------------------- UDP

  private async sendDatagrams(messages: string[], signal?: AbortSignal): Promise<void> {
    let bytes = 0;
    for (let i = 0; i < messages.length; ) {
      const data = Buffer.from(messages[i] as string, 'utf8');
      // A name that does not resolve fails here, a port nobody listens on at send: both wait and try again.
      const error = await this.udpSocket().then(
        (socket) => new Promise<Error | null>((resolve) => socket.send(data, (e) => resolve(e ?? null))),
        (failure: Error) => failure,
      );
      if (!error) {
        bytes += data.length;
        i++;
        this.failures = 0;
        continue;
      }
      // Nothing listening (ICMP port unreachable) or no route: the datagram never left; wait and send it again.
      this.recordFailure(error);
      this.stats.state = 'retrying';
      this.stats.retries++;
      await this.wait(backoffMs(this.failures++, false), AbortSignal.any([this.closing.signal, ...opt(signal)]));
    }
    this.stats.delivered += messages.length;
    this.stats.state = 'healthy';
    this.stats.lastSuccessAt = new Date().toISOString();
    this.telemetry.eventsSent(component, messages.length, bytes);
  }

  private async udpSocket(): Promise<UdpSocket> {
    if (this.udp) return this.udp;
    const socket = createSocket(isIP(this.host) === 6 ? 'udp6' : 'udp4');
    // Connected, so the kernel reports a port nobody listens on as ECONNREFUSED.
    await new Promise<void>((resolve, reject) => {
      // A name that does not resolve comes to the callback, other failures as 'error'.
      const fail = (error: Error) => {
        socket.close();
        reject(error);
      };
      socket.once('error', fail);
      socket.connect(this.port, this.host, (error?: Error) => {
        socket.off('error', fail);
        if (error) fail(error);
        else resolve();
      });
    });
    socket.on('error', (error) => this.recordFailure(error));
    this.udp = socket;
    return socket;
  }

  // ---------------------------------------------------------------- errors

  private async refuse(records: string[]): Promise<void> {
    await this.deadLetter.write(records.map((event) => ({ reason: 'not a JSON event', event })));
    this.stats.rejected += records.length;
    this.telemetry.eventsDropped(component, 'decode_error', records.length, false);
  }

  private recordFailure(error: unknown): void {
    const details = { address: this.config.address, transport: this.config.transport, detail: describe(error) };
    this.report(
      new CodedError(isTlsFailure(error) ? agentErrors.SINK_SYSLOG_TLS : agentErrors.SINK_SYSLOG_UNREACHABLE, details),
    );
  }

  private report(error: CodedError): void {
    this.stats.lastError = { code: error.code, message: error.message, at: new Date().toISOString() };
    this.onError(error);
  }
}

function opt(signal: AbortSignal | undefined): AbortSignal[] {
  return signal ? [signal] : [];
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

/** Certificate and handshake failures: the operator must fix something, so retry slowly. */
function isTlsFailure(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return (
    code.startsWith('ERR_SSL') ||
    code.startsWith('ERR_TLS') ||
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH/.test(code)
  );
}

function readTlsFiles(config: SyslogForwardConfig): { ca?: string; cert?: string; key?: string } {
  const files: { ca?: string; cert?: string; key?: string } = {};
  for (const setting of ['ca', 'cert', 'key'] as const) {
    const path = config.tls?.[setting];
    if (!path) continue;
    try {
      files[setting] = readFileSync(path, 'utf8');
    } catch (error) {
      throw new CodedError(agentErrors.SINK_SYSLOG_TLS_FILE, {
        setting,
        path,
        detail: (error as NodeJS.ErrnoException).code ?? String(error),
      });
    }
  }
  return files;
}
