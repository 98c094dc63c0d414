import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  FRAME_OVERHEAD,
  fillerFrame,
  frameBytes,
  isFiller,
  isFrame,
  payloadBytes,
  plausibleStart,
  writeFrame,
} from '../../../../agent/spool/record.ts';

function encode(payload: string, time: number): Buffer {
  const size = payloadBytes(payload);
  const buffer = Buffer.alloc(frameBytes(size));
  writeFrame(buffer, 0, payload, size, time);
  return buffer;
}

describe('spool record framing', () => {
  it('round-trips a payload and its time', () => {
    const frame = decodeFrame(encode('héllo', 1_767_225_600_000), 0, 0, 1000);
    expect(isFrame(frame)).toBe(true);
    if (!isFrame(frame)) return;
    expect(frame.payload.toString('utf8')).toBe('héllo');
    expect(frame.time).toBe(1_767_225_600_000);
    expect(frame.end).toBe(FRAME_OVERHEAD + 6);
  });

  it('rejects a flipped bit anywhere in the body, and a length that runs past the end', () => {
    const buffer = encode('payload', 1_767_225_600_000);
    for (const at of [8, 12, 16, 20]) {
      const damaged = Buffer.from(buffer);
      damaged[at] = (damaged[at] as number) ^ 1;
      expect(decodeFrame(damaged, 0, 0, damaged.length)).toEqual({ kind: 'bad' });
    }
    expect(decodeFrame(buffer, 0, 0, buffer.length - 1)).toEqual({ kind: 'bad' });
  });

  it('asks for more bytes when the buffer holds only part of a frame', () => {
    const buffer = encode('payload', 1);
    expect(decodeFrame(buffer.subarray(0, 4), 0, 0, 100)).toEqual({ kind: 'more', need: FRAME_OVERHEAD });
    expect(decodeFrame(buffer.subarray(0, 10), 0, 0, 100)).toEqual({ kind: 'more', need: buffer.length });
  });

  it('makes filler frames that decode as valid but are marked as filler', () => {
    const filler = fillerFrame(40);
    const frame = decodeFrame(filler, 0, 0, 40);
    expect(isFrame(frame) && isFiller(frame)).toBe(true);
    const record = decodeFrame(encode('x', 5), 0, 0, 100);
    expect(isFrame(record) && isFiller(record)).toBe(false);
  });

  it('finds frame starts plausible only near the expected time', () => {
    const time = 1_767_225_600_000;
    const buffer = encode('payload', time);
    expect(plausibleStart(buffer, 0, 0, buffer.length, time + 1000)).toBe(true);
    expect(plausibleStart(buffer, 0, 0, buffer.length, time + 10 * 365 * 86_400_000)).toBe(false);
    expect(plausibleStart(Buffer.alloc(32, 0xff), 0, 0, 32, time)).toBe(false);
  });
});
