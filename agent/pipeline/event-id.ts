import { hash } from 'node:crypto';
import type { SourcePosition } from '../../schemas/log-event.ts';

/**
 * A deterministic event id from where the event came from: replaying the same
 * source position yields the same id, so Elasticsearch (op_type create)
 * answers 409 instead of storing a duplicate. One-shot `hash` because this
 * runs once per line on the hot path.
 */
export function eventId(hostName: string, origin: SourcePosition, stream = ''): string {
  const key = `${hostName}\u0000${origin.source}\u0000${origin.key}\u0000${stream}\u0000${origin.position}\u0000${origin.seq}`;
  return hash('sha256', key, 'base64url').slice(0, 27);
}
