import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { constants, createZstdDecompress, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { cutZstdFrames } from '../../../bundle/zstd-frames.ts';

const checksum = { params: { [constants.ZSTD_c_checksumFlag]: 1 } };
const parts = [
  Buffer.alloc(12_800, 'a'),
  Buffer.from(Array.from({ length: 30_000 }, (_, i) => `line ${i}\n`).join('')),
  Buffer.alloc(0),
  Buffer.from('xyz'),
];
// Frames of every kind the writer and other tools make: small, big, empty, with a checksum, and a skippable one.
const frames = Buffer.concat([
  zstdCompressSync(parts[0] as Buffer),
  zstdCompressSync(parts[1] as Buffer, checksum),
  zstdCompressSync(parts[2] as Buffer),
  Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]),
  zstdCompressSync(parts[3] as Buffer, checksum),
]);
const whole = Buffer.concat(parts);

function chunks(data: Buffer, size: number): Buffer[] {
  const out = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

const unlimited = () => ({ frames: 0, maxFrames: Number.POSITIVE_INFINITY });
const cut = (input: Buffer[], count = unlimited()) =>
  Readable.from(cutZstdFrames(Readable.from(input), count), { objectMode: false, highWaterMark: 1 });

const decompress = (input: Buffer[], cutting: boolean) =>
  buffer((cutting ? cut(input) : Readable.from(input)).pipe(createZstdDecompress({ chunkSize: 1 << 18 })));

describe('zstd frame cutter', () => {
  it('regression: Node dropped the frames after a small frame that ended inside a chunk', async () => {
    expect((await decompress([frames], false)).length).toBeLessThan(whole.length);
    expect((await decompress([frames], true)).equals(whole)).toBe(true);
  });

  it.each([1, 2, 3, 5, 17, 4096, 65_536])('passes every byte, in any chunking (%i bytes)', async (size) => {
    const out = await buffer(cut(chunks(frames, size)));
    expect(out.equals(frames)).toBe(true);
    expect((await decompress(chunks(frames, size), true)).equals(whole)).toBe(true);
  });

  it('passes bytes that are not zstd on as they are, for the decompressor to reject', async () => {
    const junk = Buffer.concat([zstdCompressSync(Buffer.from('ok')), Buffer.from('not a frame at all')]);
    expect((await buffer(cut([junk]))).equals(junk)).toBe(true);
    await expect(decompress([junk], true)).rejects.toThrow();
  });

  it('counts frames and stops past the limit it is given', async () => {
    const count = { frames: 0, maxFrames: 3 };
    await expect(buffer(cut([frames], count))).rejects.toMatchObject({ kind: 'limit' });
    expect(count.frames).toBe(4);
    const enough = { frames: 0, maxFrames: 5 };
    expect((await buffer(cut([frames], enough))).equals(frames)).toBe(true);
    expect(enough.frames).toBe(5);
  });

  it('counts a frame only when the piece ending it is taken, not when the chunk holding it is read', async () => {
    const count = unlimited();
    const pieces = cutZstdFrames(Readable.from([frames]), count);
    await pieces.next();
    expect(count.frames).toBe(1);
    await pieces.return(undefined);
  });
});
