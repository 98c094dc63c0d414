// How findings write quantities: spans of time, byte sizes, counts.

/** 45 s, 12 min, 3.5 h, 9 days. */
export function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 86_400)} days`;
}

/** 512 KiB, 300 MiB, 1.5 GiB, 2.0 TiB. */
export function bytes(count: number): string {
  if (count >= 1024 ** 4) return `${(count / 1024 ** 4).toFixed(1)} TiB`;
  if (count >= 1024 ** 3) return `${(count / 1024 ** 3).toFixed(1)} GiB`;
  if (count >= 1024 ** 2) return `${(count / 1024 ** 2).toFixed(0)} MiB`;
  return `${Math.max(0, Math.round(count / 1024))} KiB`;
}

/** "1 line", "1,234 lines". */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : plural}`;
}
