// Adapts a spool reader to the sink runner: decodes records into events and
// acknowledges the batch's end position. A record that is not an event is
// counted (decode_error) and acknowledged with its batch, never retried forever.

import type { LogEvent, Telemetry } from '../pipeline/types.ts';
import type { SpoolReader } from '../spool/index.ts';
import { decodeEvent } from '../spool/index.ts';
import type { Batch, BatchSource } from './sink-runner.ts';

export function spoolBatches(reader: SpoolReader, telemetry: Telemetry): BatchSource {
  return {
    async read({ maxEvents, maxBytes, signal }): Promise<Batch> {
      const batch = await reader.read({ maxRecords: maxEvents, maxBytes, signal });
      const events: LogEvent[] = [];
      for (const record of batch.records) {
        const event = decodeEvent(record);
        if (event) events.push(event);
        else telemetry.eventsDropped(`spool:${reader.name}`, 'decode_error', 1, false);
      }
      return { events, ack: () => reader.ack(batch.end) };
    },
    rewind: () => reader.rewind(),
  };
}
