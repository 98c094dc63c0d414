// The typed layer over the byte-level spool: LogEvents go in as UTF-8 JSON in
// the canonical key order of pipeline/event-json.ts.
// Sinks that send JSON anyway (the Elasticsearch bulk body) can use a
// record's bytes as they are and skip decodeEvent.
import { eventJson } from '../pipeline/event-json.ts';
import type { EventWriter, LogEvent } from '../pipeline/types.ts';
import type { ReadOnlySpool } from './readonly.ts';
import type { Spool } from './spool.ts';
import type { AppendResult, ScanWindow, SpoolRecord, WhenFull } from './types.ts';

/** A source's EventWriter that appends to the spool; `write` resolves once the events are durable. */
export class SpoolEventWriter implements EventWriter {
  readonly #spool: Spool;
  readonly #whenFull: WhenFull | undefined;

  /** Push sources (UDP syslog) pass whenFull 'drop_newest': they cannot pause their senders. */
  constructor(spool: Spool, options: { whenFull?: WhenFull } = {}) {
    this.#spool = spool;
    this.#whenFull = options.whenFull;
  }

  write(events: readonly LogEvent[], signal?: AbortSignal): Promise<void> {
    // Not async: an async frame would keep `events` alive until the append is
    // durable, and that young garbage would survive into the old generation.
    try {
      return this.append(events, signal).then(ignore);
    } catch (error) {
      // As an async function did: a throw (an event JSON cannot encode) rejects.
      return Promise.reject(error);
    }
  }

  writeRecords(records: readonly string[], signal?: AbortSignal): Promise<void> {
    return this.#spool.append(records, { signal, whenFull: this.#whenFull }).then(ignore);
  }

  writeBytes(records: readonly Buffer[], signal?: AbortSignal): Promise<void> {
    return this.#spool.append(records, { signal, whenFull: this.#whenFull }).then(ignore);
  }

  /** Like write, but tells how many events were accepted and how many dropped. */
  append(events: readonly LogEvent[], signal?: AbortSignal): Promise<AppendResult> {
    return this.#spool.append(events.map(eventJson), { signal, whenFull: this.#whenFull });
  }
}

function ignore(): void {}

/** The event in a record, or undefined if it is not JSON of an object (count it as decode_error). */
export function decodeEvent(record: SpoolRecord): LogEvent | undefined {
  try {
    const value: unknown = JSON.parse(record.data.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as LogEvent) : undefined;
  } catch {
    return undefined;
  }
}

/** The events appended within a window, for support bundles; records that are not events are skipped. */
export async function* scanEvents(
  spool: Pick<Spool, 'scan'> | ReadOnlySpool,
  window: ScanWindow = {},
): AsyncGenerator<{ event: LogEvent; time: number }> {
  for await (const record of spool.scan(window)) {
    const event = decodeEvent(record);
    if (event) yield { event, time: record.time };
  }
}
