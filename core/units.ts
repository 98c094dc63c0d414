// Byte sizes and durations as config spells them ("512MiB", "2GB", "30s", "7d").
const byteUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  ki: 1024,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

const durationUnits: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

function split(text: string): [number, string] | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  return match ? [Number(match[1]), (match[2] ?? '').toLowerCase()] : undefined;
}

/** Bytes in a size setting; throws RangeError on a malformed one. */
export function parseBytes(value: number | string): number {
  if (typeof value === 'number') return value;
  const parts = split(value);
  const unit = parts ? byteUnits[parts[1]] : undefined;
  if (!parts || unit === undefined) throw new RangeError(`"${value}" is not a byte size such as 512MiB`);
  return Math.round(parts[0] * unit);
}

/** Milliseconds in a duration setting; throws RangeError on a malformed one. */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') return value;
  const parts = split(value);
  const unit = parts ? durationUnits[parts[1]] : undefined;
  if (!parts || unit === undefined) throw new RangeError(`"${value}" is not a duration such as 30s or 24h`);
  return Math.round(parts[0] * unit);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let index = 0;
  while (value >= 1024 && index < units.length - 1) {
    value /= 1024;
    index++;
  }
  return `${index === 0 ? value : value.toFixed(1)} ${units[index]}`;
}
