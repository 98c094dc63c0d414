// The common path of every listener: frames to line inputs, through the
// shared line stage (parse, multiline, encode), counted, into the intake.
import type { LineStage } from '../../pipeline/line-stage.ts';
import type { Telemetry } from '../../pipeline/types.ts';
import type { Frame } from './framing.ts';
import type { Intake } from './intake.ts';
import { messageInput, type Peer } from './messages.ts';
import type { ListenerStats } from './stats.ts';

/** A received datagram waiting for the stage. */
export interface Datagram {
  peer: Peer;
  bytes: Buffer;
  /** Its ordinal on the socket (the position in its event id). */
  start: number;
  truncated: boolean;
}

export class Receiver {
  readonly #stage: LineStage<Peer>;
  readonly #intake: Intake;
  readonly #telemetry: Telemetry;
  readonly #out: string[] = [];

  constructor(stage: LineStage<Peer>, intake: Intake, telemetry: Telemetry) {
    this.#stage = stage;
    this.#intake = intake;
    this.#telemetry = telemetry;
  }

  get intake(): Intake {
    return this.#intake;
  }

  /** Frames of one peer, decoded at once (their bytes are views into a chunk). */
  receive(peer: Peer, frames: readonly Frame[], stats: ListenerStats, component: string): void {
    const now = Date.now();
    let bytes = 0;
    for (const frame of frames) bytes += this.#one(peer, frame.bytes, frame.start, frame.truncated, stats, now);
    this.#done(frames.length, bytes, stats, component);
  }

  /** Datagrams, each from its own sender. */
  receiveBatch(datagrams: readonly Datagram[], stats: ListenerStats, component: string): void {
    const now = Date.now();
    let bytes = 0;
    for (const d of datagrams) bytes += this.#one(d.peer, d.bytes, d.start, d.truncated, stats, now);
    this.#done(datagrams.length, bytes, stats, component);
  }

  /** A connection ended (or a UDP sender is forgotten): what multiline merge holds for it goes out. */
  closeStream(peer: Peer): void {
    this.#stage.flushStream(peer, this.#out);
    this.#flushOut();
  }

  /** Emits merged events whose flush_after has passed. */
  flushDue(now: number): void {
    this.#stage.flushDue(now, this.#out);
    this.#flushOut();
  }

  flushAll(): void {
    this.#stage.flushAll(this.#out);
    this.#flushOut();
  }

  nextDeadline(): number | undefined {
    return this.#stage.nextDeadline();
  }

  #one(peer: Peer, data: Buffer, position: number, truncated: boolean, stats: ListenerStats, now: number): number {
    const meta = this.#stage.parse(peer, messageInput(data, position, truncated), now);
    if (truncated) stats.truncated++;
    if (meta.parsed.parse_failure !== undefined) stats.malformed++;
    this.#stage.push(meta, now, this.#out);
    return data.length;
  }

  #done(count: number, bytes: number, stats: ListenerStats, component: string): void {
    stats.messages += count;
    stats.bytes += bytes;
    this.#telemetry.eventsReceived(component, count, bytes);
    this.#flushOut();
  }

  #flushOut(): void {
    if (this.#out.length === 0) return;
    this.#intake.add(this.#out);
    this.#out.length = 0;
  }
}
