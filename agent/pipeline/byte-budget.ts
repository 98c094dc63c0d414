// One bound on the bytes that pull sources hold between reading and the
// spool's acknowledgement, shared by all their readers (every container's
// log stream): a per-reader window alone lets ten busy containers hold ten
// windows. A reader takes bytes for what it buffers and gives them back once
// the spool acknowledged them (or they are dropped for a re-read). While the
// budget is used up, readers wait before reading more: their streams pause,
// the engine's socket fills and dockerd holds the lines (backpressure, never
// a drop). A reader may overshoot by what it had already read when it took;
// that is at most one socket read per reader.

export interface ByteBudgetStats {
  /** Bytes taken and not given back. */
  used: number;
  limit: number;
  /** The most ever taken at once. */
  peak: number;
  /** Readers waiting for room right now. */
  paused: number;
  /** Times a reader had to wait. */
  waits: number;
}

export class ByteBudget {
  readonly limit: number;
  #used = 0;
  #peak = 0;
  #waits = 0;
  #waiters = new Set<() => void>();

  constructor(limit: number) {
    if (!(limit > 0)) throw new RangeError(`a byte budget needs a positive limit, not ${limit}`);
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** No room: a reader must wait (room()) before it reads more. */
  get exhausted(): boolean {
    return this.#used >= this.limit;
  }

  /** Takes bytes for data a reader is about to buffer. */
  take(bytes: number): void {
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
  }

  /** Gives back what was taken, once it is spooled (or dropped to be read again). */
  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
    if (this.#used < this.limit && this.#waiters.size > 0) {
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      for (const wake of waiters) wake();
    }
  }

  /** Resolves once there is room, or at once when `signal` is aborted. */
  async room(signal?: AbortSignal): Promise<void> {
    if (!this.exhausted || signal?.aborted) return;
    this.#waits++;
    while (this.exhausted && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.#waiters.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  stats(): ByteBudgetStats {
    return { used: this.#used, limit: this.limit, peak: this.#peak, paused: this.#waiters.size, waits: this.#waits };
  }
}
