// Record framing in a spool segment:
//
//   [u32 LE body length][u32 LE crc32 of body][body]
//   body = [f64 LE append time, ms since the epoch][payload bytes]
//
// The append time lives inside the checksummed body, so a flipped bit in it is
// caught like one in the payload; history, max_age and the support-bundle scan
// need a time per record without parsing the payload. crc32 comes from
// node:zlib (native).
import { crc32 } from 'node:zlib';

export const HEADER_BYTES = 8;
export const TIME_BYTES = 8;
/** Bytes a record costs beyond its payload. */
export const FRAME_OVERHEAD = HEADER_BYTES + TIME_BYTES;

export function frameBytes(payloadBytes: number): number {
  return FRAME_OVERHEAD + payloadBytes;
}

export function payloadBytes(payload: Buffer | string): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
}

/** Writes one frame at `at` (the caller sized `into`); returns the offset after it. */
export function writeFrame(into: Buffer, at: number, payload: Buffer | string, size: number, time: number): number {
  const body = at + HEADER_BYTES;
  const bodyLength = TIME_BYTES + size;
  into.writeDoubleLE(time, body);
  if (typeof payload === 'string') into.write(payload, body + TIME_BYTES, size, 'utf8');
  else payload.copy(into, body + TIME_BYTES);
  into.writeUInt32LE(bodyLength, at);
  into.writeUInt32LE(crc32(into.subarray(body, body + bodyLength)), at + 4);
  return body + bodyLength;
}

export interface Frame {
  /** Offset of the frame in the segment. */
  start: number;
  /** Offset after it. */
  end: number;
  time: number;
  payload: Buffer;
}

/**
 * What a buffer holds at a point: a whole valid frame, `bad` (a length that
 * runs past `limit` or a checksum mismatch), or `more` bytes needed to decide.
 * `buffer` holds the segment from `base` on; `at` and `limit` are segment offsets.
 */
export type Decoded = Frame | { kind: 'bad' } | { kind: 'more'; need: number };

export const BAD: Decoded = { kind: 'bad' };

export function decodeFrame(buffer: Buffer, base: number, at: number, limit: number): Decoded {
  const local = at - base;
  if (limit - at < FRAME_OVERHEAD) return BAD;
  if (buffer.length - local < HEADER_BYTES) return { kind: 'more', need: FRAME_OVERHEAD };
  const bodyLength = buffer.readUInt32LE(local);
  if (bodyLength < TIME_BYTES || at + HEADER_BYTES + bodyLength > limit) return BAD;
  const total = HEADER_BYTES + bodyLength;
  if (buffer.length - local < total) return { kind: 'more', need: total };
  const body = buffer.subarray(local + HEADER_BYTES, local + total);
  if (crc32(body) !== buffer.readUInt32LE(local + 4)) return BAD;
  return { start: at, end: at + total, time: body.readDoubleLE(0), payload: body.subarray(TIME_BYTES) };
}

export function isFrame(decoded: Decoded): decoded is Frame {
  return !('kind' in decoded);
}

/**
 * A cheap test, before paying for a checksum, of whether a valid frame could
 * start at `at`: the length fits and the time lies near `around` (the last good
 * record's time). Random bytes pass it about once in ten million tries, which
 * keeps the search for the next record after a damaged one linear.
 */
export function plausibleStart(buffer: Buffer, base: number, at: number, limit: number, around: number): boolean {
  const local = at - base;
  if (buffer.length - local < FRAME_OVERHEAD) return false;
  const bodyLength = buffer.readUInt32LE(local);
  if (bodyLength < TIME_BYTES || at + HEADER_BYTES + bodyLength > limit) return false;
  const time = buffer.readDoubleLE(local + HEADER_BYTES);
  return Number.isFinite(time) && Math.abs(time - around) <= RESYNC_TIME_SLACK_MS;
}

/**
 * Damage found at open is overwritten with a filler frame: a valid frame whose
 * time is NaN, which no record has. Readers step over it, and the next open
 * finds a clean file instead of counting the same damage again.
 */
export function fillerFrame(length: number): Buffer {
  const frame = Buffer.alloc(length);
  const bodyLength = length - HEADER_BYTES;
  frame.writeDoubleLE(Number.NaN, HEADER_BYTES);
  frame.writeUInt32LE(bodyLength, 0);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER_BYTES)), 4);
  return frame;
}

export function isFiller(frame: Frame): boolean {
  return Number.isNaN(frame.time);
}

/** How far from the last good record's time a record found by resync may lie. */
export const RESYNC_TIME_SLACK_MS = 2 * 365 * 86_400_000;
