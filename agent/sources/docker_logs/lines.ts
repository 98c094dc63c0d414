// Docker's log timestamps and the unit every parser hands on: one message.
//
// With `timestamps=true` the engine prefixes every log message with the time
// its copier read it, in RFC 3339 with nine fixed fraction digits, then a
// space: "2026-11-25T16:21:03.910663032Z hello". A message is one line, or one
// 16 KiB fragment of a longer line (Docker's partial messages; every fragment
// of a line carries the first fragment's timestamp).

export type StreamName = 'stdout' | 'stderr';

/** A Docker timestamp: the text as the engine gave it, and nanoseconds since the epoch. */
export interface Stamp {
  readonly text: string;
  readonly ns: bigint;
}

/**
 * How a message ends:
 * - `line`: the line is complete (its `\n` was removed);
 * - `fragment`: a Docker partial message ended; the line continues in the next
 *   message of the same stream that has the same timestamp (or was orphaned);
 * - `more`: the parser split one message to bound its memory (raw TTY streams
 *   only); the next message continues it.
 */
export type MessageEnd = 'line' | 'fragment' | 'more';

export interface Message {
  readonly stream: StreamName;
  readonly stamp: Stamp;
  readonly body: Buffer;
  readonly end: MessageEnd;
  /** The parser already cut this message at its size cap. */
  readonly truncated?: boolean;
}

const STAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;
const NS_PER_SECOND = 1_000_000_000n;

// The engine's own form, "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ", repeats its
// second for thousands of lines: that second's nanoseconds are kept, and a
// line of the same second only reads its nine fraction digits.
const FIXED_LENGTH = 30;
let cachedSecond = '';
let cachedSecondNs = 0n;

/** Nine digits at `from`, or -1. */
function nineDigits(text: string, from: number): number {
  let value = 0;
  for (let i = from; i < from + 9; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Parses an RFC 3339 timestamp with up to nanosecond precision; undefined when malformed. */
export function parseStamp(text: string): Stamp | undefined {
  if (
    text.length === FIXED_LENGTH &&
    cachedSecond !== '' &&
    text.charCodeAt(29) === 0x5a &&
    text.charCodeAt(19) === 0x2e &&
    text.startsWith(cachedSecond)
  ) {
    const nanos = nineDigits(text, 20);
    if (nanos >= 0) return { text, ns: cachedSecondNs + BigInt(nanos) };
  }
  const stamp = parseStampSlowly(text);
  if (stamp && text.length === FIXED_LENGTH && text.charCodeAt(29) === 0x5a && text.charCodeAt(19) === 0x2e) {
    cachedSecond = text.slice(0, 19);
    cachedSecondNs = stamp.ns - BigInt(nineDigits(text, 20));
  }
  return stamp;
}

function parseStampSlowly(text: string): Stamp | undefined {
  const match = STAMP.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  let ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  if (Number.isNaN(ms)) return undefined;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  const nanos = BigInt(fraction.padEnd(9, '0'));
  return { text, ns: BigInt(Math.floor(ms / 1000)) * NS_PER_SECOND + nanos };
}

/** Docker's `since` parameter for a time in nanoseconds: "seconds.nanoseconds" (inclusive). */
export function formatSince(ns: bigint): string {
  const clamped = ns < 0n ? 0n : ns;
  return `${clamped / NS_PER_SECOND}.${String(clamped % NS_PER_SECOND).padStart(9, '0')}`;
}

/**
 * Docker's copier buffer: a line longer than this is logged as messages of
 * exactly this many bytes, then the rest. A fragment shorter than this is the
 * last of its line; some drivers (local, on 20.10) drop its "\n".
 */
export const FRAGMENT_BYTES = 16 * 1024;

/** The longest timestamp prefix accepted, space included ("...T..:..:...123456789+00:00 "). */
export const MAX_STAMP_PREFIX = 40;

export interface StampedPayload {
  readonly stamp: Stamp;
  readonly body: Buffer;
  /** The payload ended with `\n`: this message completes its line. */
  readonly complete: boolean;
}

/**
 * Splits one multiplexed frame's payload, "<timestamp> <text>[\n]", into its
 * stamp and body. Undefined when the payload carries no valid timestamp.
 */
export function parseStampedPayload(payload: Buffer): StampedPayload | undefined {
  const space = payload.indexOf(0x20);
  if (space < 0 || space >= MAX_STAMP_PREFIX) return undefined;
  const stamp = parseStamp(payload.toString('latin1', 0, space));
  if (!stamp) return undefined;
  const complete = payload.length > space + 1 && payload[payload.length - 1] === 0x0a;
  return { stamp, body: payload.subarray(space + 1, complete ? payload.length - 1 : payload.length), complete };
}
