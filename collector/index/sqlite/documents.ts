// An IndexedEvent in and out of a row. The fields that search filters on or
// that every event has (time, message, host.name, log.level, log.stream,
// container.name, service.name, the shiplog position) go to columns, and
// so does log.file when it only repeats the shiplog position (the ingest
// writes both); the rest of the event stays JSON (`rest`), written once per
// distinct value where lines repeat it (a container's id, image and
// labels). The event is rebuilt exactly as it was added.
import type { IndexedEvent } from '../types.ts';

/** The parts of an event the writer stores in columns, plus the rest as JSON (or undefined when nothing is left). */
export interface SplitEvent {
  timestamp: string;
  message: string;
  site: string;
  container: string | undefined;
  service: string | undefined;
  level: string | undefined;
  stream: string | undefined;
  source: string;
  file: string;
  line: number;
  /** How log.file repeats the position: 0 not at all, 1 as {path, line}, 2 as {path}. */
  mirror: number;
  /** What is left of the event, or undefined when nothing is. */
  rest: Json | undefined;
}

export type Json = Record<string, unknown>;

const MIRROR_PATH_LINE = 1;
const MIRROR_PATH = 2;

/** A SplitEvent to fill again and again (the writer splits millions of events). */
export function emptySplit(): SplitEvent {
  return {
    timestamp: '',
    message: '',
    site: '',
    container: undefined,
    service: undefined,
    level: undefined,
    stream: undefined,
    source: '',
    file: '',
    line: 0,
    mirror: 0,
    rest: undefined,
  };
}

/**
 * Takes an event apart into `out`; throws a TypeError naming the problem
 * when it is not an IndexedEvent of this tenant and bundle.
 */
export function splitEvent(
  event: IndexedEvent,
  tenant: string,
  bundle: string,
  out: SplitEvent = emptySplit(),
): SplitEvent {
  if (typeof event !== 'object' || event === null) throw new TypeError('an indexed event must be an object');
  const timestamp = event['@timestamp'];
  const message = event.message;
  const shiplog = event.shiplog as Json | undefined;
  const host = event.host as Json | undefined;
  if (typeof timestamp !== 'string') throw new TypeError('an indexed event needs "@timestamp" as a string');
  if (typeof message !== 'string') throw new TypeError('an indexed event needs "message" as a string');
  if (!isObject(host) || typeof host.name !== 'string') throw new TypeError('an indexed event needs "host.name"');
  if (!isObject(shiplog)) throw new TypeError('an indexed event needs its "shiplog" position');
  if (shiplog.tenant !== tenant || shiplog.bundle !== bundle) {
    throw new TypeError(
      `an event of tenant "${String(shiplog.tenant)}", bundle "${String(shiplog.bundle)}" was added to the writer of tenant "${tenant}", bundle "${bundle}"`,
    );
  }
  const { source, file, line } = shiplog;
  if (typeof source !== 'string' || typeof file !== 'string') {
    throw new TypeError('an indexed event needs "shiplog.source" and "shiplog.file" as strings');
  }
  if (typeof line !== 'number' || !Number.isSafeInteger(line)) {
    throw new TypeError('an indexed event needs "shiplog.line" as an integer');
  }
  out.timestamp = timestamp;
  out.message = message;
  out.site = host.name;
  out.source = source;
  out.file = file;
  out.line = line;
  out.container = undefined;
  out.service = undefined;
  out.level = undefined;
  out.stream = undefined;
  out.mirror = 0;

  let rest: Json | undefined;
  for (const key in event) {
    const value = (event as unknown as Json)[key];
    let left: unknown = value;
    switch (key) {
      case '@timestamp':
      case 'message':
        continue;
      case 'shiplog':
        left = without(shiplog, 'tenant', 'bundle', 'source', 'file', 'line');
        break;
      case 'host':
        left = without(host, 'name');
        break;
      case 'log':
        if (isObject(value)) {
          const level = typeof value.level === 'string' ? value.level : undefined;
          const stream = typeof value.stream === 'string' ? value.stream : undefined;
          const mirror = mirrorOf(value.file, file, line);
          out.level = level;
          out.stream = stream;
          out.mirror = mirror;
          if (level !== undefined || stream !== undefined || mirror !== 0) {
            left = without(
              value,
              level === undefined ? undefined : 'level',
              stream === undefined ? undefined : 'stream',
              mirror === 0 ? undefined : 'file',
            );
          }
        }
        break;
      case 'container':
      case 'service':
        if (isObject(value) && typeof value.name === 'string') {
          if (key === 'container') out.container = value.name;
          else out.service = value.name;
          left = without(value, 'name');
        }
        break;
    }
    if (left !== undefined) {
      rest ??= {};
      rest[key] = left;
    }
  }
  out.rest = rest;
  return out;
}

/** Whether log.file is exactly {path, line} or {path} of the event's own position. */
function mirrorOf(value: unknown, file: string, line: number): number {
  if (!isObject(value) || value.path !== file) return 0;
  let keys = 0;
  for (const _ in value) keys++;
  if (keys === 2 && value.line === line) return MIRROR_PATH_LINE;
  if (keys === 1) return MIRROR_PATH;
  return 0;
}

/**
 * True when two remainders serialize to the same JSON meaning (plain
 * objects, arrays, strings, finite numbers, booleans and null; anything else
 * counts as different, so the caller serializes it).
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || Number.isFinite(a);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (
    Array.isArray(b) ||
    Object.getPrototypeOf(a) !== Object.prototype ||
    Object.getPrototypeOf(b) !== Object.prototype
  ) {
    return false;
  }
  let count = 0;
  for (const key in a) {
    count++;
    const value = (a as Json)[key];
    if (value === undefined || !sameJson(value, (b as Json)[key])) return false;
  }
  for (const _ in b) count--;
  return count === 0;
}

/** The event again, from its columns and its rest (as stored: JSON text). */
export function rebuildEvent(
  parts: Omit<SplitEvent, 'rest'> & { readonly tenant: string; readonly bundle: string },
  rest: string | undefined,
): IndexedEvent {
  const event: Json = rest === undefined ? {} : (JSON.parse(rest) as Json);
  event['@timestamp'] = parts.timestamp;
  event.message = parts.message;
  event.host = { ...(event.host as Json | undefined), name: parts.site };
  if (parts.level !== undefined || parts.stream !== undefined || parts.mirror !== 0) {
    const log: Json = { ...(event.log as Json | undefined) };
    if (parts.level !== undefined) log.level = parts.level;
    if (parts.stream !== undefined) log.stream = parts.stream;
    if (parts.mirror === MIRROR_PATH_LINE) log.file = { path: parts.file, line: parts.line };
    else if (parts.mirror === MIRROR_PATH) log.file = { path: parts.file };
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
 * The object without the named keys; undefined when that leaves it empty
 * (it had only those keys, so rebuilding restores it from the columns).
 */
function without(value: Json, a?: string, b?: string, c?: string, d?: string, e?: string): Json | undefined {
  let left: Json | undefined;
  for (const key in value) {
    if (key === a || key === b || key === c || key === d || key === e) continue;
    left ??= {};
    left[key] = value[key];
  }
  return left;
}
