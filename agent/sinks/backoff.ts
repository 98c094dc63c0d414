// How every sink waits before trying again: full-jitter exponential backoff,
// and the receiver's own Retry-After when it gives one.

export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/** Full-jitter exponential backoff: 1 s doubling to the cap (60 s, or 5 min when slow). */
export function backoffMs(attempt: number, slow: boolean, random: () => number = Math.random): number {
  const cap = slow ? 300_000 : 60_000;
  const ceiling = Math.min(cap, 1000 * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
