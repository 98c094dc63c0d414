// Adapts a spool reader to the sink runner: hands the records on as text and
// acknowledges the batch's end position. The sink counts a record that is not
// an event (decode_error); it is acknowledged with its batch, never retried
// forever.

import type { SpoolReader } from '../spool/index.ts';
import type { Batch, BatchSource } from './sink-runner.ts';

export function spoolBatches(reader: SpoolReader): BatchSource {
  return {
    async read({ maxEvents, maxBytes, signal }): Promise<Batch> {
      const batch = await reader.read({ maxRecords: maxEvents, maxBytes, signal });
      const records = batch.records.map((record) => record.data.toString('utf8'));
      return { records, ack: () => reader.ack(batch.end) };
    },
    rewind: () => reader.rewind(),
  };
}
