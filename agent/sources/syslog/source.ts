// The `syslog` source: listeners for UDP, TCP and TLS (each optional, any
// together), feeding one line stage and one intake into the spool. Pushed
// messages have no position a sender could replay, so the guarantee is at
// least once from the moment a message is read (docs/agent.md).
import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import { CodedError } from '../../../core/coded-error.ts';
import { parseBytes, parseDuration } from '../../../core/units.ts';
import type { SyslogSourceConfig } from '../../../schemas/agent-config.ts';
import { agentErrors } from '../../errors.ts';
import { LineStage } from '../../pipeline/line-stage.ts';
import type { Component, EventWriter, Telemetry } from '../../pipeline/types.ts';
import { DatagramListener } from './datagram-listener.ts';
import { Intake } from './intake.ts';
import { type Peer, peerParts } from './messages.ts';
import { Receiver } from './receiver.ts';
import type { ListenerStats, Transport } from './stats.ts';
import { StreamListener } from './stream-listener.ts';

export interface SyslogSourceOptions {
  /** Records per spool append. */
  batchEvents?: number;
  /** Bytes held in memory before TCP/TLS pause and UDP drops. */
  maxPendingBytes?: number;
  /** How long stop() lets open connections deliver what is in flight. */
  closeGraceMs?: number;
  kernelPollMs?: number;
}

/** Listener counts published as gauges (shiplog_syslog_<name>{component="syslog_tcp"} in /metrics). */
const GAUGES = [
  'connections',
  'refused',
  'idle_closed',
  'handshake_failed',
  'truncated',
  'malformed',
  'paused',
  'receive_buffer',
] as const satisfies readonly (keyof ListenerStats)[];

export interface SyslogSourceDeps {
  config: SyslogSourceConfig;
  writer: EventWriter;
  telemetry: Telemetry;
  hostName: string;
  options?: SyslogSourceOptions;
  /** Appends that failed (their events are counted as write_failed). */
  onError?: (error: CodedError | Error) => void;
}

export interface SyslogSourceStatus {
  listeners: ListenerStats[];
  /** Bytes received and not yet durable in the spool. */
  pending_bytes: number;
}

export class SyslogSource implements Component {
  readonly name = 'syslog';
  readonly #deps: SyslogSourceDeps;
  readonly #receiver: Receiver;
  readonly #streams: StreamListener[] = [];
  #datagram: DatagramListener | undefined;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(deps: SyslogSourceDeps) {
    this.#deps = deps;
    const { config } = deps;
    let stage: LineStage<Peer>;
    try {
      stage = new LineStage<Peer>({
        hostName: deps.hostName,
        timezone: config.timezone,
        multiline: config.multiline,
        parts: peerParts,
      });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new CodedError(agentErrors.SYSLOG_TIMEZONE_INVALID, { zone: config.timezone }, { cause: error });
    }
    const options = deps.options ?? {};
    const intake = new Intake({
      writer: deps.writer,
      batchEvents: options.batchEvents ?? 2000,
      maxPendingBytes: options.maxPendingBytes ?? 8 * 1024 * 1024,
      concurrency: 4,
      onPressure: (full) => {
        for (const listener of this.#streams) listener.pause(full);
      },
      onFailure: (error, records, closing) => {
        deps.telemetry.eventsDropped('syslog', 'write_failed', records, false);
        if (!closing) deps.onError?.(error instanceof Error ? error : new Error(String(error)));
      },
    });
    this.#receiver = new Receiver(stage, intake, deps.telemetry);
    const maxMessageBytes = parseBytes(config.max_message_bytes);
    const idleMs = parseDuration(config.idle_timeout);
    if (config.udp.listen) {
      this.#datagram = new DatagramListener({
        listen: config.udp.listen,
        maxMessageBytes,
        receiveBufferBytes: parseBytes(config.udp.receive_buffer),
        receiver: this.#receiver,
        telemetry: deps.telemetry,
        kernelPollMs: options.kernelPollMs,
      });
    }
    const common = { maxMessageBytes, maxConnections: config.max_connections, idleMs, receiver: this.#receiver };
    if (config.tcp.listen) {
      this.#streams.push(new StreamListener({ ...common, transport: 'tcp', listen: config.tcp.listen }));
    }
    if (config.tls.listen) {
      this.#streams.push(
        new StreamListener({ ...common, transport: 'tls', listen: config.tls.listen, tls: tlsOptions(config.tls) }),
      );
    }
  }

  /** Whether any listener is configured. */
  get configured(): boolean {
    return this.#datagram !== undefined || this.#streams.length > 0;
  }

  /** Binds every listener; throws SYSLOG_LISTEN for one that cannot bind (the others are closed again). */
  async start(): Promise<void> {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    try {
      await this.#datagram?.start();
      for (const listener of this.#streams) await listener.start();
    } catch (error) {
      await this.stop(1000);
      throw error;
    }
    // Merged events wait flush_after for a continuation; this is what sends them on.
    this.#timer = setInterval(() => {
      const deadline = this.#receiver.nextDeadline();
      if (deadline !== undefined && deadline <= Date.now()) this.#receiver.flushDue(Date.now());
    }, 250);
    this.#timer.unref();
  }

  /** The bound addresses (a configured port 0 becomes the kernel's choice). */
  addresses(): Partial<Record<Transport, string>> {
    const out: Partial<Record<Transport, string>> = {};
    for (const stats of this.#all()) out[stats.transport] = stats.address;
    return out;
  }

  /** Also publishes each listener's counts as gauges, for /metrics. */
  status(): SyslogSourceStatus {
    void this.#datagram?.pollKernelDrops();
    const listeners = this.#all().map((s) => ({ ...s }));
    const telemetry = this.#deps.telemetry;
    for (const stats of listeners) {
      const component = `syslog_${stats.transport}`;
      for (const name of GAUGES) {
        const value = stats[name];
        if (typeof value === 'number') telemetry.gauge(component, `syslog_${name}`, value);
        else if (typeof value === 'boolean') telemetry.gauge(component, `syslog_${name}`, value ? 1 : 0);
      }
    }
    return { listeners, pending_bytes: this.#receiver.intake.pendingBytes };
  }

  /** Stops listening, sends what multiline merge holds, and waits until the spool has everything read. Idempotent. */
  stop(deadlineMs = 10_000): Promise<void> {
    this.#stopping ??= this.#stop(deadlineMs);
    return this.#stopping;
  }

  async #stop(deadlineMs: number): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    const grace = Math.min(this.#deps.options?.closeGraceMs ?? 1000, deadlineMs / 2);
    await this.#datagram?.stop();
    await Promise.all(this.#streams.map((listener) => listener.stop(grace)));
    this.#receiver.flushAll();
    const intake = this.#receiver.intake;
    const timer = Promise.withResolvers<void>();
    const handle = setTimeout(() => timer.resolve(), Math.max(100, deadlineMs - grace));
    handle.unref();
    await Promise.race([intake.drain(), timer.promise]);
    clearTimeout(handle);
    // Past the deadline (a spool that stays full): what was read and never written is counted, not forgotten.
    const abandoned = intake.close();
    if (abandoned > 0) this.#deps.telemetry.eventsDropped('syslog', 'write_failed', abandoned, false);
  }

  #all(): ListenerStats[] {
    return [...(this.#datagram ? [this.#datagram.stats] : []), ...this.#streams.map((l) => l.stats)];
  }
}

/** The TLS server settings; a client CA makes client certificates required (RFC 5425 §5.1 mutual authentication). */
function tlsOptions(config: SyslogSourceConfig['tls']): tls.TlsOptions {
  const read = (setting: string, path: string | undefined): Buffer => {
    if (!path) throw new CodedError(agentErrors.SYSLOG_TLS_FILE, { setting, path: '(unset)', detail: 'it is not set' });
    try {
      return readFileSync(path);
    } catch (error) {
      throw new CodedError(
        agentErrors.SYSLOG_TLS_FILE,
        { setting, path, detail: (error as NodeJS.ErrnoException).code ?? String(error) },
        { cause: error },
      );
    }
  };
  const options: tls.TlsOptions = {
    cert: read('cert_file', config.cert_file),
    key: read('key_file', config.key_file),
    minVersion: 'TLSv1.2',
  };
  if (config.client_ca_file) {
    options.ca = read('client_ca_file', config.client_ca_file);
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return options;
}
