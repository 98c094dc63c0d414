// Turns events into bulk `create` operations. Each operation is serialised
// once; the batch keeps the lines so a retry resends only failed items.
// Spool records in the canonical form (pipeline/event-json.ts) are spliced,
// not parsed: the id and timestamp are read from the record's head and
// `event.ingested` and `data_stream` are written around its bytes.
import type { LogEvent } from '../../../schemas/log-event.ts';
import { eventJson, quote, splitCanonical } from '../../pipeline/event-json.ts';

export interface Target {
  /** `logs-<dataset>-<namespace>` */
  dataStream: string;
  dataset: string;
  namespace: string;
  /** Without data streams (7.x): dated indices `<dataStream>-YYYY.MM.DD`. */
  dataStreams: boolean;
  /** On a cluster without `flattened`: label keys go with `_` for `.` (capabilities.ts). */
  dedotLabels: boolean;
}

export interface EncodedItem {
  /** Action line + document line, each ending in \n. */
  readonly lines: string;
  readonly bytes: number;
  readonly timestamp: string;
  /** The event, or the record it was spliced from (decoded only for the dead-letter file). */
  readonly event?: LogEvent;
  readonly record?: string;
}

export function targetFor(dataset: string, namespace: string, dataStreams: boolean, dedotLabels = false): Target {
  return { dataStream: `logs-${dataset}-${namespace}`, dataset, namespace, dataStreams, dedotLabels };
}

/**
 * The index an event goes to. With dated indices it is named after the
 * event's own date (UTC), never the time of sending: a replay after a crash
 * lands in the same index as the first copy, whose `_id` answers `create`
 * with 409, even when the replay happens after midnight.
 */
export function indexFor(target: Target, timestamp: string): string {
  if (target.dataStreams) return target.dataStream;
  const day = /^(\d{4})-(\d{2})-(\d{2})/.exec(timestamp);
  return day ? `${target.dataStream}-${day[1]}.${day[2]}.${day[3]}` : `${target.dataStream}-undated`;
}

function actionLine(target: Target, timestamp: string, id: string): string {
  return `{"create":{"_index":${quote(indexFor(target, timestamp))},"_id":${quote(id)}}}`;
}

function dataStreamPart(target: Target): string {
  return `"data_stream":{"type":"logs","dataset":${quote(target.dataset)},"namespace":${quote(target.namespace)}}`;
}

/** Beats' labels.dedot: `com.docker.compose.project` becomes `com_docker_compose_project`. */
export function dedot(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) out[key.replaceAll('.', '_')] = value;
  return out;
}

function withDedottedLabels(event: LogEvent): LogEvent {
  const container = event.container?.labels
    ? { ...event.container, labels: dedot(event.container.labels) }
    : event.container;
  const labels = event.labels ? dedot(event.labels) : undefined;
  return { ...event, ...(container && { container }), ...(labels && { labels }) };
}

export function encodeEvent(event: LogEvent, target: Target, ingested: string): EncodedItem {
  const action = actionLine(target, event['@timestamp'], event.shiplog.id);
  // Only the document sent is changed: the spool, and so bundles, keep the labels as Docker gave them.
  const source = target.dedotLabels ? withDedottedLabels(event) : event;
  const doc = eventJson({
    ...source,
    event: { ...event.event, ingested },
    data_stream: { type: 'logs', dataset: target.dataset, namespace: target.namespace },
  });
  const lines = `${action}\n${doc}\n`;
  return { lines, bytes: Buffer.byteLength(lines), timestamp: event['@timestamp'], event };
}

/**
 * A spool record as a bulk operation. A record that is not canonical, or
 * already carries `event.ingested` or `data_stream`, or has labels to dedot,
 * is decoded and encoded again; one that is not JSON of an object throws
 * (the caller counts it).
 */
export function encodeRecord(record: string, target: Target, ingested: string): EncodedItem {
  const parts = splitCanonical(record);
  const relabel = target.dedotLabels && record.includes('"labels":{');
  if (parts === undefined || parts.eventHasIngested || relabel || record.includes('"data_stream":')) {
    const event: unknown = JSON.parse(record);
    if (typeof event !== 'object' || event === null) throw new TypeError('the record is not a JSON object');
    return encodeEvent(event as LogEvent, target, ingested);
  }
  const action = actionLine(target, parts.timestamp, parts.id);
  const lines = `${action}\n${parts.head}"ingested":"${ingested}",${parts.tail.slice(0, -1)},${dataStreamPart(target)}}\n`;
  return { lines, bytes: Buffer.byteLength(lines), timestamp: parts.timestamp, record };
}

/** The event of an item, for the dead-letter file. */
export function itemEvent(item: EncodedItem): LogEvent | string {
  if (item.event) return item.event;
  try {
    return JSON.parse(item.record ?? '') as LogEvent;
  } catch {
    return item.record ?? '';
  }
}
