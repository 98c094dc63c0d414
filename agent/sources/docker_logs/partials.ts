// Reassembles Docker's 16 KiB partial messages into lines, one assembler per
// (container, stream): interleaved stderr lines never land inside a stdout
// line. Bytes are joined before they are decoded, so a multi-byte character
// cut at the boundary comes out whole. A line longer than the cap is cut at a
// character boundary and flagged; the rest of it is read and discarded, so
// memory stays bounded by the cap whatever a container writes.
import { FRAGMENT_BYTES, type Message, type Stamp, type StreamName } from './lines.ts';

export interface Line {
  readonly stream: StreamName;
  readonly stamp: Stamp;
  readonly bytes: Buffer;
  /** Joined from partial messages, or a fragment whose line never ended (flushed orphan). */
  readonly partial: boolean;
  /** Cut at the size cap. */
  readonly truncated: boolean;
}

export class PartialAssembler {
  readonly #stream: StreamName;
  readonly #maxBytes: number;
  readonly #stripCarriageReturn: boolean;
  #stamp: Stamp | undefined;
  #pieces: Buffer[] = [];
  #kept = 0;
  #fragments = 0;
  /** Body bytes of the message being received (raw streams hand one on in pieces). */
  #messageBytes = 0;
  #truncated = false;
  readonly #fragmentBytes: number;

  /**
   * @param maxBytes bytes kept per line (max_line_bytes)
   * @param stripCarriageReturn TTY streams end lines with "\r\n"; drop the "\r"
   * @param fragmentBytes Docker's partial message size
   */
  constructor(stream: StreamName, maxBytes: number, stripCarriageReturn = false, fragmentBytes = FRAGMENT_BYTES) {
    this.#stream = stream;
    this.#maxBytes = Math.max(1, maxBytes);
    this.#stripCarriageReturn = stripCarriageReturn;
    this.#fragmentBytes = fragmentBytes;
  }

  /** The timestamp of the unfinished line, if one is pending. */
  get pending(): Stamp | undefined {
    return this.#stamp;
  }

  /**
   * The lines this message completes: none, one, or two when a different
   * timestamp shows that the pending fragment was an orphan (its container
   * stopped before the line ended, and a later run wrote on). A fragment
   * shorter than Docker's buffer is the last of its line, newline or not.
   */
  push(message: Message): Line[] {
    const lines: Line[] = [];
    if (this.#stamp && message.stamp.text !== this.#stamp.text) lines.push(this.#finish());
    if (!this.#stamp && message.end === 'line') {
      lines.push(this.#single(message));
      return lines;
    }
    this.#stamp ??= message.stamp;
    this.#append(message.body);
    this.#messageBytes += message.body.length;
    if (message.truncated) this.#truncated = true;
    if (message.end === 'fragment') {
      this.#fragments++;
      const last = this.#messageBytes < this.#fragmentBytes;
      this.#messageBytes = 0;
      if (last) lines.push(this.#finish());
    } else if (message.end === 'line') {
      lines.push(this.#finish());
    }
    return lines;
  }

  /** The pending fragment as a line of its own: at the end of a stopped container's stream. */
  flush(): Line | undefined {
    return this.#stamp ? this.#finish() : undefined;
  }

  /** Forgets the pending fragment: it will be read again after a reconnect. */
  reset(): void {
    this.#stamp = undefined;
    this.#pieces = [];
    this.#kept = 0;
    this.#fragments = 0;
    this.#messageBytes = 0;
    this.#truncated = false;
  }

  #single(message: Message): Line {
    let bytes = message.body;
    let truncated = message.truncated === true;
    if (bytes.length > this.#maxBytes) {
      bytes = trimToCharBoundary(bytes.subarray(0, this.#maxBytes));
      truncated = true;
    } else if (!truncated) {
      bytes = this.#withoutCarriageReturn(bytes);
    }
    return { stream: this.#stream, stamp: message.stamp, bytes, partial: false, truncated };
  }

  #append(body: Buffer): void {
    const room = this.#maxBytes - this.#kept;
    if (body.length > room) this.#truncated = true;
    const kept = Math.min(room, body.length);
    if (kept <= 0) return;
    // Copied: a pending piece must not pin the socket chunk it came in.
    this.#pieces.push(Buffer.from(body.subarray(0, kept)));
    this.#kept += kept;
  }

  /** The pending pieces as one line; partial when a message of it ended without its newline. */
  #finish(): Line {
    const stamp = this.#stamp as Stamp;
    let bytes = this.#pieces.length === 1 ? (this.#pieces[0] as Buffer) : Buffer.concat(this.#pieces, this.#kept);
    const truncated = this.#truncated;
    bytes = truncated ? trimToCharBoundary(bytes) : this.#withoutCarriageReturn(bytes);
    const line: Line = { stream: this.#stream, stamp, bytes, partial: this.#fragments > 0, truncated };
    this.reset();
    return line;
  }

  #withoutCarriageReturn(bytes: Buffer): Buffer {
    return this.#stripCarriageReturn && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, bytes.length - 1) : bytes;
  }
}

/** Drops an incomplete UTF-8 sequence at the end, so a cut line decodes without a replacement character. */
export function trimToCharBoundary(bytes: Buffer): Buffer {
  let lead = bytes.length - 1;
  while (lead >= 0 && bytes.length - lead <= 3 && ((bytes[lead] as number) & 0xc0) === 0x80) lead--;
  if (lead < 0) return bytes;
  const first = bytes[lead] as number;
  const needed = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  return bytes.length - lead < needed ? bytes.subarray(0, lead) : bytes;
}
