// RFC 6587 framing of a syslog TCP (or RFC 5425 TLS) connection, decided per
// connection by its first byte: a digit 1-9 starts octet counting
// ("LEN SP MSG", the only framing RFC 5425 allows), anything else is
// non-transparent framing, one message per LF. Inside an octet-counted frame
// an LF is part of the message. Frames longer than the cap are cut there and
// flagged, the rest skipped, so a hostile length costs no memory. A broken
// length in an octet-counted connection is read as one LF-framed message
// (kept and flagged by the parser downstream), and counting resumes after it:
// a sender's mistake never closes the connection.

export interface Frame {
  /** Byte offset of the frame (of its length field, when octet-counted) in the connection. */
  start: number;
  /** The message bytes, without the length prefix or the LF; valid until the next push. */
  bytes: Buffer;
  /** Cut at the cap, or the connection ended inside it. */
  truncated: boolean;
}

export type Framing = 'unknown' | 'octet-counting' | 'non-transparent';

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const ZERO = 0x30;
const NINE = 0x39;
/** "2147483647 ": no frame longer than this is believable. */
const MAX_LENGTH_DIGITS = 10;

export class FrameDecoder {
  readonly #maxBytes: number;
  #framing: Framing = 'unknown';
  /** Bytes of the connection consumed before `#carry`. */
  #position = 0;
  /** An incomplete frame held from the previous chunk. */
  #carry: Buffer | undefined;
  /** Octet counting: bytes of the current frame still to skip after its cut. */
  #skip = 0;
  /** Non-transparent: the rest of a cut line is skipped up to its LF. */
  #skipLine = false;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  get framing(): Framing {
    return this.#framing;
  }

  /** Bytes held for an incomplete frame. */
  get held(): number {
    return this.#carry?.length ?? 0;
  }

  /** Decodes the next bytes of the connection; complete frames go onto `out`. */
  push(chunk: Buffer, out: Frame[]): void {
    let data = chunk;
    if (this.#carry) {
      data = Buffer.concat([this.#carry, chunk]);
      this.#carry = undefined;
    }
    let at = 0;
    const n = data.length;
    while (at < n) {
      if (this.#skip > 0) {
        const skipped = Math.min(this.#skip, n - at);
        this.#skip -= skipped;
        at += skipped;
        continue;
      }
      if (this.#skipLine) {
        const lf = data.indexOf(LF, at);
        if (lf < 0) {
          at = n;
          break;
        }
        this.#skipLine = false;
        at = lf + 1;
        continue;
      }
      if (this.#framing === 'unknown') {
        const first = data[at] ?? 0;
        // Stray line ends before the first frame say nothing.
        if (first === LF || first === CR || first === SPACE) {
          at++;
          continue;
        }
        this.#framing = first > ZERO && first <= NINE ? 'octet-counting' : 'non-transparent';
      }
      const next = this.#framing === 'octet-counting' ? this.#counted(data, at, out) : this.#line(data, at, out);
      if (next < 0) break;
      at = next;
    }
    if (at < n && this.#skip === 0 && !this.#skipLine) {
      // Copied: the socket may hand the same memory out again.
      this.#carry = Buffer.from(data.subarray(at));
    }
    this.#position += at;
  }

  /** The connection closed: a message without its LF is complete; a counted frame cut short is flagged. */
  end(out: Frame[]): void {
    const carry = this.#carry;
    this.#carry = undefined;
    if (!carry || carry.length === 0 || this.#skip > 0 || this.#skipLine) return;
    if (this.#framing === 'octet-counting') {
      const space = carry.indexOf(SPACE);
      const length = space > 0 ? lengthOf(carry, space) : -1;
      if (length > 0) {
        out.push({ start: this.#position, bytes: trimEnd(carry.subarray(space + 1)), truncated: true });
        return;
      }
    }
    out.push({ start: this.#position, bytes: trimEnd(carry), truncated: false });
  }

  /** One octet-counted frame at `at`: the index after it, or -1 to wait for more bytes. */
  #counted(data: Buffer, at: number, out: Frame[]): number {
    let i = at;
    const n = data.length;
    // Some senders end each frame with an LF anyway: between frames it is nothing.
    while (i < n && (data[i] === LF || data[i] === CR)) i++;
    if (i === n) return n;
    const lengthEnd = Math.min(n, i + MAX_LENGTH_DIGITS + 1);
    let space = -1;
    for (let k = i; k < lengthEnd; k++) {
      const c = data[k] ?? 0;
      if (c === SPACE) {
        space = k;
        break;
      }
      if (c < ZERO || c > NINE) break;
    }
    if (space < 0) {
      // Not a length (or not yet all of it): wait for more, unless it cannot be one.
      if (lengthEnd === n && allDigits(data, i, n)) return -1;
      return this.#line(data, i, out);
    }
    const length = lengthOf(data, space, i);
    if (length <= 0) return this.#line(data, i, out);
    const start = this.#position + i;
    const body = space + 1;
    const kept = Math.min(length, this.#maxBytes);
    if (n - body < kept) return -1;
    if (kept < length) {
      out.push({ start, bytes: trimEnd(data.subarray(body, body + cutPoint(data, body, kept))), truncated: true });
      const end = body + length;
      if (end <= n) return end;
      this.#skip = end - n;
      return n;
    }
    out.push({ start, bytes: trimEnd(data.subarray(body, body + length)), truncated: false });
    return body + length;
  }

  /** One LF-terminated message at `at`: the index after it, or -1 to wait for more bytes. */
  #line(data: Buffer, at: number, out: Frame[]): number {
    const lf = data.indexOf(LF, at);
    const start = this.#position + at;
    if (lf < 0) {
      if (data.length - at <= this.#maxBytes) return -1;
      out.push({ start, bytes: data.subarray(at, at + cutPoint(data, at, this.#maxBytes)), truncated: true });
      this.#skipLine = true;
      return data.length;
    }
    let stop = lf;
    if (stop > at && data[stop - 1] === CR) stop--;
    if (stop - at > this.#maxBytes) {
      out.push({ start, bytes: data.subarray(at, at + cutPoint(data, at, this.#maxBytes)), truncated: true });
    } else {
      out.push({ start, bytes: data.subarray(at, stop), truncated: false });
    }
    return lf + 1;
  }
}

/** The decimal length before `space` (from `from`), or -1 when it is not one. */
function lengthOf(data: Buffer, space: number, from = 0): number {
  if (space === from || data[from] === ZERO) return -1;
  let value = 0;
  for (let k = from; k < space; k++) {
    const c = data[k] ?? 0;
    if (c < ZERO || c > NINE) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
}

function allDigits(data: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const c = data[k] ?? 0;
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

/** How many of the `max` bytes from `at` to keep so that no UTF-8 character is split. */
export function cutPoint(data: Buffer, at: number, max: number): number {
  let keep = max;
  while (keep > 0 && ((data[at + keep] ?? 0) & 0xc0) === 0x80) keep--;
  return keep === 0 ? max : keep;
}

/** A message's trailing LF (and CR) is not part of it (rsyslog drops it too). */
export function trimEnd(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === LF || bytes[end - 1] === CR)) end--;
  return end === bytes.length ? bytes : bytes.subarray(0, end);
}
