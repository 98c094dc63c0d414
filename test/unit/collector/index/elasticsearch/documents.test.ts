import { describe, expect, it } from 'vitest';
import {
  CONTINUED,
  CONTINUES,
  canonicalTime,
  DocumentEncoder,
  eventOf,
  PIECE,
  pieces,
  termsText,
} from '../../../../../collector/index/elasticsearch/documents.ts';
import { terms } from '../../../../../collector/index/terms.ts';
import type { IndexedEvent } from '../../../../../collector/index/types.ts';
import { parityEvents } from '../parity-cases.ts';

function event(time: string, message = 'connection refused', line = 1): IndexedEvent {
  return {
    '@timestamp': time,
    message,
    event: { dataset: 'docker.container_logs' },
    host: { name: 'node01' },
    log: { level: 'error', stream: 'stderr', file: { path: 'containers/a/container.log', line } },
    container: { name: 'a', labels: { 'com.example/x.y': 'z' } },
    shiplog: { tenant: 'acme', bundle: 'b1', source: 'container', file: 'containers/a/container.log', line },
  };
}

/** The action and source of encoded lines. */
function decode(lines: string): { action: unknown; source: Record<string, unknown> } {
  const [action, source, rest] = lines.split('\n');
  expect(rest).toBe('');
  return { action: JSON.parse(action as string), source: JSON.parse(source as string) };
}

describe('the terms field', () => {
  it('holds the terms of THE token rule, folded, one space apart', () => {
    for (const e of parityEvents) expect(termsText(e.message).split(' ').filter(Boolean)).toEqual(terms(e.message));
    expect(termsText('\u001b[31mERROR\u001b[0m disk full')).toBe('31merror 0m disk full');
    expect(termsText('...')).toBe('');
  });

  it('cuts a term longer than a piece into marked pieces, never inside a surrogate pair', () => {
    expect(pieces('short')).toEqual(['short']);
    expect(pieces('y'.repeat(PIECE))).toEqual(['y'.repeat(PIECE)]);
    const long = 'x'.repeat(PIECE * 2 + 5);
    const x = 'x'.repeat(PIECE);
    expect(pieces(long)).toEqual([`${x}${CONTINUES}`, `${CONTINUED}${x}${CONTINUES}`, `${CONTINUED}xxxxx`]);
    const emoji = `${'a'.repeat(PIECE - 1)}🤔b`;
    expect(pieces(emoji)).toEqual([`${'a'.repeat(PIECE - 1)}${CONTINUES}`, `${CONTINUED}🤔b`]);
    expect(termsText(`go ${long} on`)).toBe(`go ${pieces(long).join(' ')} on`);
    // No term of the token rule holds a marker, so a piece is never mistaken for a whole term.
    expect(terms(`a${CONTINUES}b${CONTINUED}c`)).toEqual(['a', 'b', 'c']);
  });
});

describe('canonicalTime', () => {
  it.each([
    [Date.UTC(2026, 2, 1, 10), 1, '2026-03-01T10:00:00.000000001Z'],
    [Date.UTC(2026, 2, 1, 10) + 500, 0, '2026-03-01T10:00:00.500000000Z'],
    [-1000, 5, '1970-01-01T00:00:00.000000000Z'],
    [Date.UTC(2300, 0, 1), 0, '2262-04-11T23:47:16.854775807Z'],
  ])('%i ms + %i ns is %s', (ms, ns, text) => {
    expect(canonicalTime(ms, ns)).toBe(text);
  });
});

describe('DocumentEncoder', () => {
  it('writes the event as it is with create, its own id, and the backend fields beside it', () => {
    const encoder = new DocumentEncoder('acme', 'b1', 7);
    const original = event('2026-03-01T10:00:00.123456789Z');
    const { action, source } = decode(encoder.encode(original));
    expect(action).toEqual({ create: { _id: '7.1' } });
    expect(source.shiplog_index).toEqual({ terms: 'connection refused', gen: 7, order: 7 * 2 ** 31 + 1 });
    expect(eventOf(source)).toEqual(original);
    expect(decode(encoder.encode(original)).action).toEqual({ create: { _id: '7.2' } });
    expect(encoder.count).toBe(2);
  });

  it('indexes @timestamp in UTC with nine digits and gives the time back as it was written', () => {
    const encoder = new DocumentEncoder('acme', 'b1', 1);
    for (const [written, indexed] of [
      ['2026-03-01T11:00:00.5+01:00', '2026-03-01T10:00:00.500000000Z'],
      ['2026-03-01 10:00:00Z', '2026-03-01T10:00:00.000000000Z'],
      ['2026-03-01t10:00:00.1234567891z', '2026-03-01T10:00:00.123456789Z'],
      ['1969-07-20T20:17:40Z', '1970-01-01T00:00:00.000000000Z'],
    ] as const) {
      const { source } = decode(encoder.encode(event(written)));
      expect(source['@timestamp']).toBe(indexed);
      expect((source.shiplog_index as { time: string }).time).toBe(written);
      expect(eventOf(source)['@timestamp']).toBe(written);
    }
  });

  it('refuses what is not an event of its tenant and bundle, naming the problem and the line', () => {
    const encoder = new DocumentEncoder('acme', 'b1', 1);
    const good = event('2026-03-01T10:00:00Z');
    expect(() => encoder.encode({ ...good, shiplog: { ...good.shiplog, tenant: 'beta' } })).toThrow(/tenant "beta"/);
    expect(() => encoder.encode({ ...good, shiplog: { ...good.shiplog, bundle: 'b2' } })).toThrow(/bundle "b2"/);
    expect(() => encoder.encode({ ...good, '@timestamp': 'yesterday' })).toThrow(
      /"yesterday" of containers\/a\/container.log:1 is not an RFC 3339 time/,
    );
    expect(() => encoder.encode({ ...good, message: 3 } as unknown as IndexedEvent)).toThrow(/"message"/);
    expect(() => encoder.encode({ ...good, shiplog_index: {} } as unknown as IndexedEvent)).toThrow(/shiplog_index/);
    expect(() => encoder.encode(null as unknown as IndexedEvent)).toThrow(TypeError);
    expect(encoder.count).toBe(0);
  });
});
