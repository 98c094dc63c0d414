// How the pages write times, sizes and counts.

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** An RFC 3339 time as "2026-11-25 03:12:45.123Z" (UTC, as the bundles keep it), or the text as it came. */
export function time(value: string | null | undefined, shiftMs = 0): string {
  if (!value) return '-';
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return value;
  return new Date(ms + shiftMs).toISOString().replace('T', ' ');
}

export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (abs < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (abs < 172_800_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} days`;
}
