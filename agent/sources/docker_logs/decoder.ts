// One logs connection's bytes to lines: picks the parser from the first byte
// (frames, or the raw TTY stream), splits off the timestamps and reassembles
// partial lines per stream.
import { FrameParser, isMultiplexed } from './frames.ts';
import { FRAGMENT_BYTES, MAX_STAMP_PREFIX, type Message, parseStampedPayload, type StreamName } from './lines.ts';
import { type Line, PartialAssembler } from './partials.ts';
import { RawSplitter } from './raw.ts';

export interface DecodedChunk {
  readonly lines: Line[];
  /** Frames that are not container output: the engine's own errors (type 3), or payloads without a stamp. */
  readonly engineMessages: string[];
}

export class LogDecoder {
  readonly #maxLineBytes: number;
  #frames: FrameParser | undefined;
  #raw: RawSplitter | undefined;
  #assemblers: Record<StreamName, PartialAssembler>;
  #newest: bigint | undefined;

  constructor(maxLineBytes: number) {
    this.#maxLineBytes = maxLineBytes;
    this.#assemblers = this.#makeAssemblers(false);
  }

  /** The container's streams: a TTY container has only stdout. */
  get streams(): readonly StreamName[] {
    return this.#raw ? ['stdout'] : ['stdout', 'stderr'];
  }

  /** The latest stamp of any message decoded so far. */
  get newest(): bigint | undefined {
    return this.#newest;
  }

  /** Per stream, the stamp of a line still waiting for its last fragment. */
  pending(): Partial<Record<StreamName, bigint>> {
    const pending: Partial<Record<StreamName, bigint>> = {};
    for (const stream of ['stdout', 'stderr'] as const) {
      const stamp = this.#assemblers[stream].pending;
      if (stamp) pending[stream] = stamp.ns;
    }
    return pending;
  }

  push(chunk: Buffer): DecodedChunk {
    const decoded: DecodedChunk = { lines: [], engineMessages: [] };
    if (chunk.length === 0) return decoded;
    if (!this.#frames && !this.#raw) {
      if (isMultiplexed(chunk[0] as number)) {
        // Room for a whole Docker message, so the fragment size stays visible whatever the cap.
        this.#frames = new FrameParser(Math.max(this.#maxLineBytes, FRAGMENT_BYTES) + MAX_STAMP_PREFIX + 1);
      } else {
        this.#raw = new RawSplitter();
        this.#assemblers = this.#makeAssemblers(true);
      }
    }
    if (this.#raw) {
      for (const message of this.#raw.push(chunk)) this.#message(message, decoded.lines);
      return decoded;
    }
    for (const frame of (this.#frames as FrameParser).push(chunk)) {
      const parsed = frame.system ? undefined : parseStampedPayload(frame.payload);
      if (!parsed) {
        decoded.engineMessages.push(frame.payload.toString('utf8').trim());
        continue;
      }
      this.#message(
        {
          stream: frame.stream,
          stamp: parsed.stamp,
          body: parsed.body,
          end: parsed.complete ? 'line' : 'fragment',
          truncated: frame.truncated,
        },
        decoded.lines,
      );
    }
    return decoded;
  }

  /** At a clean end of the stream: a raw message cut off without its newline. */
  end(): Line[] {
    const lines: Line[] = [];
    if (this.#raw) for (const message of this.#raw.end()) this.#message(message, lines);
    return lines;
  }

  /** The container stopped: lines still waiting for a fragment were its last output. */
  flush(): Line[] {
    const lines: Line[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const line = this.#assemblers[stream].flush();
      if (line) lines.push(line);
    }
    return lines;
  }

  #message(message: Message, lines: Line[]): void {
    if (this.#newest === undefined || message.stamp.ns > this.#newest) this.#newest = message.stamp.ns;
    for (const line of this.#assemblers[message.stream].push(message)) lines.push(line);
  }

  #makeAssemblers(tty: boolean): Record<StreamName, PartialAssembler> {
    return {
      stdout: new PartialAssembler('stdout', this.#maxLineBytes, tty),
      stderr: new PartialAssembler('stderr', this.#maxLineBytes, false),
    };
  }
}
