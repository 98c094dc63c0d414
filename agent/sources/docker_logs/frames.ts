// The Engine API's multiplexed log stream (containers without a TTY): each
// frame is an 8-byte header [type, 0, 0, 0, payload length as big-endian
// uint32] and the payload. Type 1 is stdout, 2 stderr, 3 "systemerr" (the
// engine's own error text, e.g. "Error grabbing logs: ..."); 0 (stdin) never
// appears in logs and is read as stdout. Chunks from the socket cut headers
// and payloads anywhere; this parser copes with every split, and with
// backpressure because it only parses what it is given.
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import type { StreamName } from './lines.ts';

export interface Frame {
  readonly stream: StreamName;
  /** Type 3: the engine's own error message, not container output. */
  readonly system: boolean;
  readonly payload: Buffer;
  /** The payload was longer than the parser's cap and was cut. */
  readonly truncated: boolean;
}

const HEADER_BYTES = 8;

/** Picks the parser from the stream's first byte: frames start with a type byte 0-3, raw timestamps with a digit. */
export function isMultiplexed(firstByte: number): boolean {
  return firstByte <= 3;
}

export class FrameParser {
  readonly #maxPayload: number;
  readonly #header = Buffer.alloc(HEADER_BYTES);
  #headerFill = 0;
  /** Payload bytes still to come for the current frame; -1 while reading a header. */
  #remaining = -1;
  #type = 0;
  #pieces: Buffer[] = [];
  #kept = 0;
  #truncated = false;

  /** @param maxPayload payload bytes kept per frame; the rest of a longer frame is skipped and flagged. */
  constructor(maxPayload: number) {
    this.#maxPayload = maxPayload;
  }

  /** True between frames: nothing of an unfinished frame is held. */
  get idle(): boolean {
    return this.#remaining < 0 && this.#headerFill === 0;
  }

  /** The complete frames in `chunk` (with what earlier chunks left unfinished). Payloads may share memory with `chunk`. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#remaining < 0) {
        if (this.#headerFill === 0 && chunk.length - at >= HEADER_BYTES) {
          this.#startFrame(chunk, at);
          at += HEADER_BYTES;
        } else {
          const take = Math.min(HEADER_BYTES - this.#headerFill, chunk.length - at);
          chunk.copy(this.#header, this.#headerFill, at, at + take);
          this.#headerFill += take;
          at += take;
          if (this.#headerFill < HEADER_BYTES) break;
          this.#headerFill = 0;
          this.#startFrame(this.#header, 0);
        }
        // A whole payload inside this chunk is handed on without copying.
        if (this.#remaining <= chunk.length - at && this.#remaining <= this.#maxPayload) {
          frames.push(this.#frame(chunk.subarray(at, at + this.#remaining), false));
          at += this.#remaining;
          this.#remaining = -1;
        }
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - at);
      const room = this.#maxPayload - this.#kept;
      if (room > 0) {
        const kept = Math.min(room, take);
        this.#pieces.push(Buffer.from(chunk.subarray(at, at + kept)));
        this.#kept += kept;
      }
      if (take > room) this.#truncated = true;
      this.#remaining -= take;
      at += take;
      if (this.#remaining === 0) {
        const payload =
          this.#pieces.length === 1 ? (this.#pieces[0] as Buffer) : Buffer.concat(this.#pieces, this.#kept);
        frames.push(this.#frame(payload, this.#truncated));
        this.#remaining = -1;
        this.#pieces = [];
        this.#kept = 0;
        this.#truncated = false;
      }
    }
    return frames;
  }

  #startFrame(source: Buffer, at: number): void {
    const type = source[at] ?? 0;
    if (type > 3 || source[at + 1] !== 0 || source[at + 2] !== 0 || source[at + 3] !== 0) {
      throw new CodedError(agentErrors.DOCKER_LOGS_STREAM, {
        detail: `invalid frame header ${source.subarray(at, at + HEADER_BYTES).toString('hex')}`,
      });
    }
    this.#type = type;
    this.#remaining = source.readUInt32BE(at + 4);
  }

  #frame(payload: Buffer, truncated: boolean): Frame {
    const type = this.#type;
    return { stream: type >= 2 ? 'stderr' : 'stdout', system: type === 3, payload, truncated };
  }
}
