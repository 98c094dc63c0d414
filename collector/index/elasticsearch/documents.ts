// An IndexedEvent in and out of an Elasticsearch document.
//
// In: the event is checked as the SQLite writer checks it (its tenant and
// bundle, a position, an RFC 3339 time), then written as it is with the
// backend's fields beside it (mapping.ts). @timestamp is indexed in one
// canonical form, UTC with nine fraction digits, which date_nanos parses
// the same way on every cluster; an event whose time was written otherwise
// (an offset, fewer digits, a space for the T) keeps the text as written in
// `shiplog_index.time` and gets it back when read. date_nanos spans
// 1970 to 2262: a time outside is indexed at that edge (and sorts there),
// and still reads back as written.
//
// The terms field holds the message's terms by THE token rule. A term longer
// than PIECE code units is indexed as consecutive pieces of that length (the
// whitespace analyzer would otherwise cut it at 255 characters on its own
// terms), marked so that a phrase of pieces matches a whole long term only:
// the first piece ends in CONTINUES, later pieces start with CONTINUED (no
// term of the token rule contains either, control characters separate). A
// query cuts its terms the same way (compile.ts): a long term is the phrase
// of its pieces, which starts only at a term's first piece and ends only at
// its last; a long prefix is that phrase with a prefix for its last piece.
import { parseTimestamp } from '../sqlite/timestamps.ts';
import { terms } from '../terms.ts';
import type { IndexedEvent } from '../types.ts';
import { INDEX_KEY } from './mapping.ts';
import { documentId, MAX_SEQ, orderKey } from './naming.ts';

/** Longest piece of a term that is indexed as one term. */
export const PIECE = 200;
/** Ends every piece of a long term but the last. */
export const CONTINUES = '\u0001';
/** Starts every piece of a long term but the first. */
export const CONTINUED = '\u0002';

const MIN_NANOS_MS = 0;
// 2262-04-11T23:47:16.854775807Z, the last instant a signed 64-bit count of nanoseconds holds.
const MAX_NANOS_MS = 9_223_372_036_854;
const MAX_NANOS_NS = 775_807;

/** A term as the pieces it is indexed as (most terms: itself). */
export function pieces(term: string): string[] {
  if (term.length <= PIECE) return [term];
  const out: string[] = [];
  let start = 0;
  while (start < term.length) {
    let end = Math.min(start + PIECE, term.length);
    // Never split a surrogate pair.
    const last = term.charCodeAt(end - 1);
    if (end < term.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(`${start > 0 ? CONTINUED : ''}${term.slice(start, end)}${end < term.length ? CONTINUES : ''}`);
    start = end;
  }
  return out;
}

/** The text of the terms field for a message. */
export function termsText(message: string): string {
  return terms(message)
    .map((term) => (term.length <= PIECE ? term : pieces(term).join(' ')))
    .join(' ');
}

/**
 * The canonical UTC form of a time (milliseconds since 1970 plus
 * nanoseconds within the millisecond), clamped to what date_nanos holds.
 */
export function canonicalTime(ms: number, ns: number): string {
  let m = ms;
  let n = ns;
  if (m < MIN_NANOS_MS) {
    m = MIN_NANOS_MS;
    n = 0;
  } else if (m > MAX_NANOS_MS || (m === MAX_NANOS_MS && n > MAX_NANOS_NS)) {
    m = MAX_NANOS_MS;
    n = MAX_NANOS_NS;
  }
  const iso = new Date(m).toISOString();
  return `${iso.slice(0, 23)}${String(n).padStart(6, '0')}Z`;
}

/** Builds the bulk lines of one writer's events. */
export class DocumentEncoder {
  private readonly tenant: string;
  private readonly bundle: string;
  private readonly gen: number;
  private seq = 0;

  constructor(tenant: string, bundle: string, gen: number) {
    this.tenant = tenant;
    this.bundle = bundle;
    this.gen = gen;
  }

  /** Events encoded so far. */
  get count(): number {
    return this.seq;
  }

  /**
   * The action and source lines of one event (with their newlines); throws
   * a TypeError naming the problem when it is not an IndexedEvent of this
   * writer's tenant and bundle.
   */
  encode(event: IndexedEvent): string {
    const position = checkEvent(event, this.tenant, this.bundle);
    const written = event['@timestamp'];
    const time = parseTimestamp(written);
    if (!time) {
      throw new TypeError(
        `"@timestamp" ${JSON.stringify(written)} of ${position.file}:${position.line} is not an RFC 3339 time`,
      );
    }
    if (this.seq >= MAX_SEQ) {
      throw new RangeError(`bundle "${this.bundle}" has more events than one index write holds (${MAX_SEQ})`);
    }
    const seq = ++this.seq;
    const canonical = canonicalTime(time.ms, time.ns);
    const own = {
      terms: termsText(event.message),
      gen: this.gen,
      order: orderKey(this.gen, seq),
      ...(canonical === written ? {} : { time: written }),
    };
    let source: string;
    if (canonical === written) {
      // The common case (container logs): splice the backend's fields into the event's own JSON.
      const json = JSON.stringify(event);
      source = `${json.slice(0, -1)},"${INDEX_KEY}":${JSON.stringify(own)}}`;
    } else {
      source = JSON.stringify({ ...event, '@timestamp': canonical, [INDEX_KEY]: own });
    }
    return `{"create":{"_id":"${documentId(this.gen, seq)}"}}\n${source}\n`;
  }
}

/** The event of a document's _source, as it was added. */
export function eventOf(source: Record<string, unknown>): IndexedEvent {
  const { [INDEX_KEY]: own, ...event } = source;
  const written = (own as { time?: unknown } | undefined)?.time;
  if (typeof written === 'string') event['@timestamp'] = written;
  return event as unknown as IndexedEvent;
}

/** Checks what the index relies on; returns the event's position for messages. */
function checkEvent(event: IndexedEvent, tenant: string, bundle: string): { file: string; line: number } {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new TypeError('an indexed event must be an object');
  }
  const { shiplog, host } = event as { shiplog?: Record<string, unknown>; host?: Record<string, unknown> };
  if (typeof event['@timestamp'] !== 'string') throw new TypeError('an indexed event needs "@timestamp" as a string');
  if (typeof event.message !== 'string') throw new TypeError('an indexed event needs "message" as a string');
  if (typeof host !== 'object' || host === null || typeof host.name !== 'string') {
    throw new TypeError('an indexed event needs "host.name"');
  }
  if (typeof shiplog !== 'object' || shiplog === null)
    throw new TypeError('an indexed event needs its "shiplog" position');
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
  if (INDEX_KEY in event) throw new TypeError(`an indexed event may not have a "${INDEX_KEY}" field`);
  return { file, line };
}
