import { hash } from 'node:crypto';
import type { SourcePosition } from '../../schemas/log-event.ts';

/**
 * A deterministic event id from where the event came from: replaying the same
 * source position yields the same id, so Elasticsearch (op_type create)
 * answers 409 instead of storing a duplicate. The id is a 16-character hash
 * of the stream (host, source, key, stream name) followed by the position: a
 * byte offset in base 36, or for other positions 11 characters of their
 * hash; `.seq` when seq is not 0. Container lines use stampId instead. The stream hash is
 * computed once per stream, not per line, and ids of one stream share a
 * prefix and grow with the position, which Elasticsearch looks up fastest.
 */
export function eventId(hostName: string, origin: SourcePosition, stream = ''): string {
  return positionId(streamIdPrefix(hostName, origin.source, origin.key, stream), origin.position, origin.seq);
}

const prefixes = new Map<string, string>();
const MAX_CACHED_PREFIXES = 4096;

/** The id prefix of a stream (16 characters of base64url), memoised. */
export function streamIdPrefix(hostName: string, source: string, key: string, stream = ''): string {
  const text = `${hostName}\u0000${source}\u0000${key}\u0000${stream}`;
  let prefix = prefixes.get(text);
  if (prefix === undefined) {
    prefix = hash('sha256', text, 'base64url').slice(0, 16);
    if (prefixes.size >= MAX_CACHED_PREFIXES) prefixes.clear();
    prefixes.set(text, prefix);
  }
  return prefix;
}

const DECIMAL = /^(?:0|[1-9]\d{0,14})$/;

/** An id from a stream's prefix and a position within it. */
export function positionId(prefix: string, position: string, seq: number): string {
  const id = DECIMAL.test(position)
    ? offsetId(prefix, Number(position))
    : prefix + hash('sha256', position, 'base64url').slice(0, 11);
  return seq === 0 ? id : `${id}.${seq}`;
}

/**
 * The id of a line of a container stream: the stream's prefix and the line's
 * timestamp in nanoseconds, base 36 (a timestamp is unique within a stream
 * but for `seq`, which Docker's repeated stamps need).
 */
export function stampId(prefix: string, ns: bigint, seq: number): string {
  return seq === 0 ? prefix + ns.toString(36) : `${prefix}${ns.toString(36)}.${seq}`;
}

/** The id of a byte offset in a stream (what positionId gives for its decimal text). */
export function offsetId(prefix: string, offset: number): string {
  return prefix + offset.toString(36);
}
