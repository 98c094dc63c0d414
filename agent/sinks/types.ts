// What every sink offers the agent. A sink is fed spool records (canonical
// JSON events) by its own SinkRunner through its own acknowledged spool
// cursor, so one slow receiver never holds another back until the spool is
// full. A sink's deliverRecords resolves only when the batch is delivered (or,
// refused for good, dead-lettered); it retries internally with backoff and
// rejects only when aborted, leaving the batch to the spool.

export interface DeliveryReport {
  delivered: number;
  duplicates: number;
  rejected: number;
}

/** The part of a sink's health every sink reports; each adds its own details. */
export interface SinkHealthBase {
  state: 'connecting' | 'healthy' | 'retrying';
  lastError?: { code: string; message: string; at: string };
  lastSuccessAt?: string;
  delivered: number;
  rejected: number;
  retries: number;
  deadLetterPath: string;
}

export interface Sink {
  /**
   * Starts connecting at once, so a wrong address, certificate or password
   * shows in `shiplog status` before the first event needs it. Never throws;
   * failures land in health().
   */
  start?(): void;
  deliverRecords(records: readonly string[], signal?: AbortSignal): Promise<DeliveryReport>;
  health(): SinkHealthBase;
  /** Releases connections; batches not yet confirmed stay in the spool. */
  close(): Promise<void>;
}

/** How a sink is fed from the spool. */
export interface SinkBatching {
  maxEvents: number;
  maxBytes: number;
  concurrency: number;
}
