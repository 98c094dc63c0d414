// Turns events into bulk `create` operations. Each operation is serialised
// once; the batch keeps the lines so a retry resends only failed items.
import type { LogEvent } from '../../../schemas/log-event.ts';

export interface Target {
  /** `logs-<dataset>-<namespace>` */
  dataStream: string;
  dataset: string;
  namespace: string;
  /** Without data streams (7.x): dated indices `<dataStream>-YYYY.MM.DD`. */
  dataStreams: boolean;
}

export interface EncodedItem {
  /** Action line + document line, each ending in \n. */
  readonly lines: string;
  readonly bytes: number;
  readonly event: LogEvent;
}

export function targetFor(dataset: string, namespace: string, dataStreams: boolean): Target {
  return { dataStream: `logs-${dataset}-${namespace}`, dataset, namespace, dataStreams };
}

export function indexFor(target: Target, timestamp: string): string {
  if (target.dataStreams) return target.dataStream;
  // The event's own date, so a replay lands in the same index and meets its duplicate.
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(timestamp);
  return day ? `${target.dataStream}-${day[1]}.${day[2]}.${day[3]}` : `${target.dataStream}-undated`;
}

export function encodeEvent(event: LogEvent, target: Target, ingested: string): EncodedItem {
  const action = JSON.stringify({ create: { _index: indexFor(target, event['@timestamp']), _id: event.shiplog.id } });
  const doc = JSON.stringify({
    ...event,
    event: { ...event.event, ingested },
    data_stream: { type: 'logs', dataset: target.dataset, namespace: target.namespace },
  });
  const lines = `${action}\n${doc}\n`;
  return { lines, bytes: Buffer.byteLength(lines), event };
}
