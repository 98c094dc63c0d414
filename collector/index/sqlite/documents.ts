// An IndexedEvent in and out of a row. The fields that search filters on or
// that every event has (time, message, host.name, log.level, log.stream,
// container.name, service.name, the shiplog position) go to columns; the
// rest of the event stays JSON (`rest`), written once per distinct shape
// where lines repeat it (a container's id, image and labels), and the event
// is rebuilt exactly as it was added.
import type { IndexedEvent } from '../types.ts';

/** The parts of an event the writer stores in columns, plus the rest as JSON (or undefined when nothing is left). */
export interface SplitEvent {
  readonly timestamp: string;
  readonly message: string;
  readonly site: string;
  readonly container: string | undefined;
  readonly service: string | undefined;
  readonly level: string | undefined;
  readonly stream: string | undefined;
  readonly source: string;
  readonly file: string;
  readonly line: number;
  readonly rest: string | undefined;
}

type Json = Record<string, unknown>;

/** Takes an event apart; throws a TypeError naming the problem when it is not an IndexedEvent of this tenant and bundle. */
export function splitEvent(event: IndexedEvent, tenant: string, bundle: string): SplitEvent {
  if (typeof event !== 'object' || event === null) throw new TypeError('an indexed event must be an object');
  const timestamp = event['@timestamp'];
  const message = event.message;
  const shiplog = event.shiplog as Json | undefined;
  const host = event.host as Json | undefined;
  if (typeof timestamp !== 'string') throw new TypeError('an indexed event needs "@timestamp" as a string');
  if (typeof message !== 'string') throw new TypeError('an indexed event needs "message" as a string');
  if (!isObject(host) || typeof host.name !== 'string') throw new TypeError('an indexed event needs "host.name"');
  if (!isObject(shiplog)) throw new TypeError('an indexed event needs its "shiplog" position');
  const { tenant: eventTenant, bundle: eventBundle, source, file, line } = shiplog;
  if (eventTenant !== tenant || eventBundle !== bundle) {
    throw new TypeError(
      `an event of tenant "${String(eventTenant)}", bundle "${String(eventBundle)}" was added to the writer of tenant "${tenant}", bundle "${bundle}"`,
    );
  }
  if (typeof source !== 'string' || typeof file !== 'string') {
    throw new TypeError('an indexed event needs "shiplog.source" and "shiplog.file" as strings');
  }
  if (typeof line !== 'number' || !Number.isSafeInteger(line)) {
    throw new TypeError('an indexed event needs "shiplog.line" as an integer');
  }

  let rest: Json | undefined;
  const keep = (key: string, value: unknown) => {
    rest ??= {};
    rest[key] = value;
  };
  let container: string | undefined;
  let service: string | undefined;
  let level: string | undefined;
  let stream: string | undefined;
  for (const key in event) {
    const value = (event as unknown as Json)[key];
    switch (key) {
      case '@timestamp':
      case 'message':
        break;
      case 'shiplog': {
        const left = without(shiplog, ['tenant', 'bundle', 'source', 'file', 'line']);
        if (left) keep(key, left);
        break;
      }
      case 'host': {
        const left = without(host, ['name']);
        if (left) keep(key, left);
        break;
      }
      case 'log': {
        if (!isObject(value)) {
          keep(key, value);
          break;
        }
        const moved: string[] = [];
        if (typeof value.level === 'string') {
          level = value.level;
          moved.push('level');
        }
        if (typeof value.stream === 'string') {
          stream = value.stream;
          moved.push('stream');
        }
        const left = moved.length === 0 ? value : without(value, moved);
        if (left) keep(key, left);
        break;
      }
      case 'container':
      case 'service': {
        if (!isObject(value) || typeof value.name !== 'string') {
          keep(key, value);
          break;
        }
        if (key === 'container') container = value.name;
        else service = value.name;
        const left = without(value, ['name']);
        if (left) keep(key, left);
        break;
      }
      default:
        keep(key, value);
    }
  }
  return {
    timestamp,
    message,
    site: host.name,
    container,
    service,
    level,
    stream,
    source,
    file,
    line,
    rest: rest === undefined ? undefined : JSON.stringify(rest),
  };
}

/** The event again, from its columns and its rest. */
export function rebuildEvent(
  parts: Omit<SplitEvent, 'rest'> & { readonly tenant: string; readonly bundle: string },
  rest: string | undefined,
): IndexedEvent {
  const event: Json = rest === undefined ? {} : (JSON.parse(rest) as Json);
  event['@timestamp'] = parts.timestamp;
  event.message = parts.message;
  event.host = { ...(event.host as Json | undefined), name: parts.site };
  if (parts.level !== undefined || parts.stream !== undefined) {
    const log: Json = { ...(event.log as Json | undefined) };
    if (parts.level !== undefined) log.level = parts.level;
    if (parts.stream !== undefined) log.stream = parts.stream;
    event.log = log;
  }
  if (parts.container !== undefined)
    event.container = { ...(event.container as Json | undefined), name: parts.container };
  if (parts.service !== undefined) event.service = { ...(event.service as Json | undefined), name: parts.service };
  event.shiplog = {
    ...(event.shiplog as Json | undefined),
    tenant: parts.tenant,
    bundle: parts.bundle,
    source: parts.source,
    file: parts.file,
    line: parts.line,
  };
  return event as unknown as IndexedEvent;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The object without `keys`; undefined when that leaves it empty (it had
 * only those keys, so rebuilding restores it from the columns).
 */
function without(value: Json, keys: readonly string[]): Json | undefined {
  let left: Json | undefined;
  for (const key in value) {
    if (keys.includes(key)) continue;
    left ??= {};
    left[key] = value[key];
  }
  return left;
}
