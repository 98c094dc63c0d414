import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameParser, isMultiplexed } from '../../../../../agent/sources/docker_logs/frames.ts';

function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Cuts `data` at the given fractions: every split point a socket could produce. */
function chunk(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * data.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const point of points) {
    if (point > at) chunks.push(data.subarray(at, point));
    at = Math.max(at, point);
  }
  chunks.push(data.subarray(at));
  return chunks;
}

const frameArb = fc.record({
  type: fc.constantFrom(1, 2, 3),
  payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

describe('FrameParser', () => {
  it('yields the same frames however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        (frames, cuts) => {
          const stream = Buffer.concat(frames.map((f) => frame(f.type, f.payload)));
          const parser = new FrameParser(1024);
          const parsed = chunk(stream, cuts).flatMap((c) => parser.push(c));
          expect(parsed.map((f) => ({ stream: f.stream, system: f.system, payload: Buffer.from(f.payload) }))).toEqual(
            frames.map((f) => ({
              stream: f.type === 1 ? 'stdout' : 'stderr',
              system: f.type === 3,
              payload: f.payload,
            })),
          );
          expect(parsed.every((f) => !f.truncated)).toBe(true);
          expect(parser.idle).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('handles a header split one byte at a time', () => {
    const data = Buffer.concat([frame(1, Buffer.from('out\n')), frame(2, Buffer.from('err\n'))]);
    const parser = new FrameParser(64);
    const frames = [...data].flatMap((byte) => parser.push(Buffer.from([byte])));
    expect(frames.map((f) => [f.stream, f.payload.toString()])).toEqual([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
    ]);
  });

  it('routes type 3 (systemerr) to stderr and marks it as the engine speaking', () => {
    const [only] = new FrameParser(64).push(frame(3, Buffer.from('Error grabbing logs: x\n')));
    expect(only).toMatchObject({ stream: 'stderr', system: true });
  });

  it('keeps a payload longer than the cap only up to the cap, flags it, and stays in step', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 10 }), (cuts) => {
        const big = Buffer.alloc(500, 0x61);
        const data = Buffer.concat([frame(1, big), frame(2, Buffer.from('after\n'))]);
        const parser = new FrameParser(100);
        const frames = chunk(data, cuts).flatMap((c) => parser.push(c));
        expect(frames).toHaveLength(2);
        expect(frames[0]?.payload.length).toBe(100);
        expect(frames[0]?.truncated).toBe(true);
        expect(frames[1]?.payload.toString()).toBe('after\n');
      }),
    );
  });

  it('rejects a stream that is not multiplexed with a coded error', () => {
    expect(() => new FrameParser(64).push(Buffer.from('2026-11-25T16:21:03.910663032Z hello\n'))).toThrow(
      expect.objectContaining({ code: 'SHIPLOG_ERR_DOCKER_LOGS_STREAM' }),
    );
  });

  it('tells a multiplexed stream from a raw TTY stream by its first byte', () => {
    expect(isMultiplexed(1)).toBe(true);
    expect(isMultiplexed(2)).toBe(true);
    expect(isMultiplexed('2'.charCodeAt(0))).toBe(false);
  });
});
