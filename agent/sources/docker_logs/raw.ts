// The Engine API's raw log stream (containers with a TTY): no frames, one
// stream (stdout), lines ending in "\r\n". With timestamps on, every message
// starts with "<timestamp> ". Nothing else marks where a message ends, so:
//
// - "\n" ends a line;
// - a line longer than Docker's 16 KiB buffer comes as several messages, each
//   repeating the first one's timestamp: that exact prefix inside a line is a
//   fragment boundary (its position alone would not do: json-file re-encodes
//   invalid UTF-8 and changes the fragment length);
// - the last fragment of a line may lack its "\n" (the local driver on 20.10)
//   and a container may stop mid-line: then the next message starts right
//   after it, with a later timestamp, within the fragment's 16 KiB. Such a
//   timestamp (nine digits, not earlier than the line's, not in the future)
//   starts a new message.
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { FRAGMENT_BYTES, MAX_STAMP_PREFIX, type Message, parseStamp, type Stamp } from './lines.ts';

/** The timestamp Docker writes ("RFC3339NanoFixed") and its space. */
const DOCKER_STAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(?:Z|[+-]\d\d:\d\d) /g;
const DOCKER_STAMP_BYTES = 37;
/** How far ahead of this host's clock a timestamp may be and still be the engine's. */
const CLOCK_SLACK_NS = 60_000_000_000n;

export class RawSplitter {
  readonly #fragmentBytes: number;
  #stamp: Stamp | undefined;
  /** `${stamp.text} `: a fragment boundary inside the current line. */
  #marker: Buffer | undefined;
  /** Body bytes of the current message handed on so far. */
  #messageBytes = 0;
  /** Bytes not yet handed on: an unfinished prefix, or a tail that may hold part of a timestamp. */
  #held: Buffer = Buffer.alloc(0);

  constructor(fragmentBytes = FRAGMENT_BYTES) {
    this.#fragmentBytes = fragmentBytes;
  }

  /** True at a message boundary with nothing held. */
  get idle(): boolean {
    return this.#stamp === undefined && this.#held.length === 0;
  }

  push(chunk: Buffer): Message[] {
    const data = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    this.#held = Buffer.alloc(0);
    const out: Message[] = [];
    let at = 0;
    while (at < data.length) {
      if (!this.#stamp) {
        const space = data.subarray(at, at + MAX_STAMP_PREFIX).indexOf(0x20);
        if (space < 0) {
          if (data.length - at >= MAX_STAMP_PREFIX) throw this.#noStamp(data, at);
          this.#held = Buffer.from(data.subarray(at));
          break;
        }
        const stamp = parseStamp(data.toString('latin1', at, at + space));
        if (!stamp) throw this.#noStamp(data, at);
        this.#start(stamp);
        at += space + 1;
      }
      const stamp = this.#stamp as Stamp;
      const marker = this.#marker as Buffer;
      const newline = data.indexOf(0x0a, at);
      const segment = data.subarray(at, newline < 0 ? data.length : newline);
      const sameStamp = segment.indexOf(marker);
      const searchUpTo = sameStamp >= 0 ? sameStamp : segment.length;
      const nextStamp = this.#laterStamp(segment.subarray(0, searchUpTo), stamp);
      if (nextStamp >= 0) {
        // The message ended without "\n"; a new one starts here.
        out.push({ stream: 'stdout', stamp, body: segment.subarray(0, nextStamp), end: 'fragment' });
        at += nextStamp;
        this.#stamp = undefined;
        this.#marker = undefined;
        continue;
      }
      if (sameStamp >= 0) {
        out.push({ stream: 'stdout', stamp, body: segment.subarray(0, sameStamp), end: 'fragment' });
        at += sameStamp + marker.length;
        this.#messageBytes = 0;
        continue;
      }
      if (newline >= 0) {
        out.push({ stream: 'stdout', stamp, body: segment, end: 'line' });
        at = newline + 1;
        this.#stamp = undefined;
        this.#marker = undefined;
        continue;
      }
      // Neither a newline nor a boundary yet: hand on all but a tail that
      // could be the start of a timestamp, and keep that for the next chunk.
      const keep = Math.min(segment.length, Math.max(marker.length, DOCKER_STAMP_BYTES) - 1);
      const upto = segment.length - keep;
      if (upto > 0) out.push({ stream: 'stdout', stamp, body: segment.subarray(0, upto), end: 'more' });
      this.#messageBytes += upto;
      this.#held = Buffer.from(segment.subarray(upto));
      break;
    }
    return out;
  }

  /** At the end of the stream: what is left of an unfinished message, as a fragment without its newline. */
  end(): Message[] {
    const held = this.#held;
    const stamp = this.#stamp;
    this.reset();
    if (!stamp) return [];
    return [{ stream: 'stdout', stamp, body: held, end: 'fragment' }];
  }

  /** Drops what is held, e.g. before reconnecting from a checkpoint. */
  reset(): void {
    this.#held = Buffer.alloc(0);
    this.#stamp = undefined;
    this.#marker = undefined;
    this.#messageBytes = 0;
  }

  #start(stamp: Stamp): void {
    this.#stamp = stamp;
    this.#marker = Buffer.from(`${stamp.text} `, 'latin1');
    this.#messageBytes = 0;
  }

  /**
   * Where, within the first fragmentBytes of the current message, a later
   * Docker timestamp starts a new message; -1 when none does.
   */
  #laterStamp(segment: Buffer, current: Stamp): number {
    const limit = this.#fragmentBytes - this.#messageBytes;
    if (limit < 0) return -1;
    const text = segment.toString('latin1', 0, Math.min(segment.length, limit + DOCKER_STAMP_BYTES));
    const now = BigInt(Date.now()) * 1_000_000n;
    DOCKER_STAMP.lastIndex = 0;
    for (let match = DOCKER_STAMP.exec(text); match && match.index <= limit; match = DOCKER_STAMP.exec(text)) {
      const stamp = parseStamp(match[0].slice(0, -1));
      if (stamp && stamp.ns >= current.ns && stamp.text !== current.text && stamp.ns <= now + CLOCK_SLACK_NS) {
        return match.index;
      }
    }
    return -1;
  }

  #noStamp(data: Buffer, at: number): CodedError {
    this.reset();
    const sample = JSON.stringify(data.toString('utf8', at, Math.min(data.length, at + MAX_STAMP_PREFIX)));
    return new CodedError(agentErrors.DOCKER_LOGS_STREAM, { detail: `raw message without a timestamp: ${sample}` });
  }
}
