import { describe, expect, it } from 'vitest';
import { formatBytes, parseBytes, parseDuration } from '../../../core/units.ts';

describe('parseBytes', () => {
  it.each([
    [0, 0],
    [4096, 4096],
    ['512', 512],
    ['1KiB', 1024],
    ['64MiB', 64 * 1024 ** 2],
    ['1GiB', 1024 ** 3],
    ['200MB', 200e6],
    ['2 gb', 2e9],
    ['1.5KiB', 1536],
  ] as const)('%s is %d bytes', (input, bytes) => {
    expect(parseBytes(input)).toBe(bytes);
  });

  it('rejects sizes it cannot read', () => {
    expect(() => parseBytes('lots')).toThrow(/byte size/);
    expect(() => parseBytes('5 parsecs')).toThrow(RangeError);
  });
});

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
  ] as const)('%s is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it('rejects durations it cannot read', () => {
    expect(() => parseDuration('soon')).toThrow(/duration/);
  });
});

describe('formatBytes', () => {
  it('prints sizes the way an operator reads them', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(200 * 1024 ** 2)).toBe('200.0 MiB');
  });
});
