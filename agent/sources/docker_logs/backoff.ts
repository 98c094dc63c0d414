// Retry pacing shared by discovery and the followers.

export interface RetryPacing {
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** Exponential backoff with jitter: 0.5-1 x base x 2^attempt, capped at the maximum. */
export function backoff(attempt: number, pacing: RetryPacing): number {
  const ceiling = Math.min(pacing.retryMaxMs, pacing.retryBaseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}
