import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Compression, compressor } from '../../../../../agent/bundle/seal/compress.ts';
import { tempDir } from '../../../../helpers/temp.ts';

// Text that compresses, with some noise so blocks differ.
const input = Buffer.concat(
  Array.from({ length: 3000 }, (_, i) =>
    Buffer.from(
      `2026-11-25T00:00:${String(i % 60).padStart(2, '0')}Z host app[${i}]: ${randomBytes(8).toString('hex')}\n`,
    ),
  ),
);

async function compress(compression: Compression, data: Buffer, blockBytes = 16 * 1024): Promise<Buffer> {
  // Odd-sized writes, so blocks do not line up with them.
  const chunks = [];
  for (let at = 0; at < data.length; at += 7777) chunks.push(data.subarray(at, at + 7777));
  return buffer(Readable.from(chunks).pipe(compressor(compression, { blockBytes, parallel: 3 })));
}

const decompress = (compression: Compression, data: Buffer) =>
  compression === 'gzip' ? gunzipSync(data) : zstdDecompressSync(data);

describe('block compression', () => {
  it.each(['gzip', 'zstd'] as const)(
    '%s blocks compressed in parallel decompress to the same bytes',
    async (compression) => {
      const packed = await compress(compression, input);
      expect(decompress(compression, packed).equals(input)).toBe(true);
      expect(packed.length).toBeLessThan(input.length / 2);
    },
  );

  it.each(['gzip', 'zstd'] as const)('%s of nothing is a valid empty stream', async (compression) => {
    expect(decompress(compression, await compress(compression, Buffer.alloc(0))).length).toBe(0);
  });

  it.each([
    ['gzip', ['gzip', '-t']],
    ['zstd', ['zstd', '-q', '-t']],
  ] as const)('%s: the standard tool reads every block, and notices a cut inside one', async (compression, tool) => {
    const dir = tempDir('shiplog-compress-');
    const packed = await compress(compression, input);
    const whole = join(dir, 'whole');
    writeFileSync(whole, packed);
    execFileSync(tool[0], [...tool.slice(1), whole]);
    const unpacked = execFileSync(compression === 'gzip' ? 'gzip' : 'zstd', ['-dc', whole], { maxBuffer: 1 << 26 });
    expect(unpacked.equals(input)).toBe(true);
    for (const at of [0.5, 0.9, packed.length - 3]) {
      const cut = join(dir, `cut-${at}`);
      writeFileSync(cut, packed.subarray(0, at < 1 ? Math.floor(packed.length * at) : at));
      expect(spawnSync(tool[0], [...tool.slice(1), cut]).status).not.toBe(0);
      expect(() => decompress(compression, readCut(packed, at))).toThrow();
    }
  });
});

function readCut(packed: Buffer, at: number): Buffer {
  return packed.subarray(0, at < 1 ? Math.floor(packed.length * at) : at);
}
