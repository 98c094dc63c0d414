import { describe, expect, it } from 'vitest';
import { eventId } from '../../../agent/pipeline/event-id.ts';

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
    expect(eventId('app-01', origin, 'stdout')).toBe('Q7Ty-7Lj-w-DZR4XGNkFYgkLTAp');
  });
});
