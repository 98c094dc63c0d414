import { describe, expect, it } from 'vitest';
import { eventId, stampId, streamIdPrefix } from '../../../agent/pipeline/event-id.ts';

const origin = { source: 'docker' as const, key: 'c0ffee', position: '2026-11-25T03:12:45.123456789Z', seq: 0 };

describe('event ids', () => {
  it('are the same for the same source position, so a replay is a duplicate Elasticsearch refuses', () => {
    expect(eventId('app-01', origin, 'stdout')).toBe(eventId('app-01', { ...origin }, 'stdout'));
  });

  it('differ when any part of the position differs', () => {
    const base = eventId('app-01', origin, 'stdout');
    expect(eventId('app-02', origin, 'stdout')).not.toBe(base);
    expect(eventId('app-01', origin, 'stderr')).not.toBe(base);
    expect(eventId('app-01', { ...origin, seq: 1 }, 'stdout')).not.toBe(base);
    expect(eventId('app-01', { ...origin, key: 'c0ffef' }, 'stdout')).not.toBe(base);
  });

  it('are stable across releases: ids already in customers\u2019 clusters must keep matching', () => {
    // The format of 0.1 (a stream hash, then the position); see docs/decisions.md.
    // A file line (byte offset 123456) and a container line (its nanosecond stamp), as the sources write them:
    expect(eventId('app-01', { source: 'file', key: '2049:1234:ab12', position: '123456', seq: 0 })).toBe(
      'CcVnYQyCV6Ct1IKf2n9c',
    );
    const stamp = 1_795_576_365_123_456_789n; // 2026-11-25T03:12:45.123456789Z
    expect(stampId(streamIdPrefix('app-01', 'docker', 'c0ffee', 'stdout'), stamp, 0)).toBe(
      'uQ6KaSTslT3sn1Gkdn3yp6l6lpn9',
    );
    // A position that is not an offset (no source writes one today) is hashed.
    expect(eventId('app-01', origin, 'stdout')).toBe('uQ6KaSTslT3sn1GkluIeka3YmmD');
  });

  it('of one file share a prefix and end in the byte offset, so no line costs a hash', () => {
    const file = { source: 'file' as const, key: '2049:1234:ab12', seq: 0 };
    const a = eventId('app-01', { ...file, position: '0' });
    const b = eventId('app-01', { ...file, position: '92' });
    expect(a.slice(0, 16)).toBe(b.slice(0, 16));
    expect(b.slice(16)).toBe((92).toString(36));
    expect(eventId('app-01', { ...file, position: '92', seq: 1 })).toBe(`${b}.1`);
    expect(
      new Set(Array.from({ length: 5000 }, (_, i) => eventId('app-01', { ...file, position: String(i) }))).size,
    ).toBe(5000);
  });

  it('of a container line are its stream prefix and nanosecond stamp, so no line costs a hash', () => {
    const prefix = streamIdPrefix('app-01', 'docker', 'c0ffee', 'stdout');
    const ns = 1_764_040_365_123_456_789n;
    expect(stampId(prefix, ns, 0)).toBe(`${prefix}${ns.toString(36)}`);
    expect(stampId(prefix, ns, 2)).toBe(`${prefix}${ns.toString(36)}.2`);
    expect(stampId(streamIdPrefix('app-01', 'docker', 'c0ffee', 'stderr'), ns, 0)).not.toBe(stampId(prefix, ns, 0));
    expect(stampId(prefix, 1_764_040_365_123_456_789n, 0)).toBe(
      `uQ6KaSTslT3sn1Gk${1_764_040_365_123_456_789n.toString(36)}`,
    );
  });
});
