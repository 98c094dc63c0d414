import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp } from '../../../../collector/index/sqlite/timestamps.ts';
import type { IndexedEvent } from '../../../../collector/index/types.ts';
import { indexDir, openIndex, writeBundle } from './helpers.ts';

const position = (line: number) => ({
  tenant: 'acme',
  bundle: 'b1',
  source: 'container' as const,
  file: 'f.log',
  line,
});
const base = (line: number, extra: Record<string, unknown> = {}): IndexedEvent =>
  ({
    '@timestamp': `2026-03-01T10:00:${String(line).padStart(2, '0')}Z`,
    message: `shape ${line}`,
    event: { dataset: 'x' },
    host: { name: 'node01' },
    shiplog: position(line),
    ...extra,
  }) as IndexedEvent;

// Events of every shape the columns must not lose or invent anything of.
const shapes: IndexedEvent[] = [
  base(1),
  base(2, { log: {} }),
  base(3, { log: { level: 'info' } }),
  base(4, { log: { stream: 'stderr', file: { path: 'f.log', line: 4 } } }),
  base(5, { log: { file: { path: 'f.log' } } }),
  base(6, { log: { file: { path: 'f.log', line: 99 } } }),
  base(7, { log: { file: { path: 'other.log', line: 7 } } }),
  base(8, { log: { file: { path: 'f.log', line: 8, offset: 12 } } }),
  base(9, { log: { level: 7, syslog: { facility: { code: 3, name: 'daemon' }, procid: '123' } } }),
  base(10, { host: { name: 'node01', ip: ['10.0.0.1'] } }),
  base(11, { container: { id: 'abc' } }),
  base(12, { container: { name: 'app', labels: { 'com.docker.compose.service': 'app', empty: '' } } }),
  base(13, { container: { name: 'app', image: { name: 'x', tag: '1' } }, service: { name: 'app', version: '2' } }),
  base(14, { service: { name: '' }, log: { level: '' } }),
  base(15, { data_stream: { type: 'logs' }, labels: { a: 'b' }, 'odd.key': null, list: [1, 'two', { three: 3 }] }),
  base(16, { message: 'ünïcödé 🤔 \u0000 nul', shiplog: { ...position(16), extra: true } }),
  base(17, { '@timestamp': '2026-03-01T11:00:17.123456789+01:00', event: { dataset: 'y', kind: 'event' } }),
  base(18, { log: { level: 'warn', stream: 'stdout', file: { path: 'f.log', line: 18 }, origin: { function: 'f' } } }),
];

describe('events come back exactly as added', () => {
  it.each([1, 4, 1000])('in every shape (batches of %i)', async (batchRows) => {
    const index = openIndex(indexDir(), { batchRows });
    await writeBundle(index, 'acme', 'b1', shapes);
    const result = await index.search({ tenants: ['acme'], q: '', filters: {}, limit: 100 });
    expect(result.hits.map((hit) => hit.event)).toEqual(shapes);
    // The same goes for context.
    const context = await index.context({ tenant: 'acme', id: result.hits[0]?.id as string, before: 0, after: 100 });
    expect(context.events.map((entry) => entry.event)).toEqual(shapes);
    await index.close();
  });

  it('stores text as UTF-8: a lone surrogate (which no decoded text contains) comes back as U+FFFD', async () => {
    const index = openIndex();
    await writeBundle(index, 'acme', 'b1', [base(1, { message: 'lone \ud800 here' })]);
    const result = await index.search({ tenants: ['acme'], q: 'lone here', filters: {}, limit: 1 });
    expect(result.hits[0]?.event.message).toBe('lone \ufffd here');
    await index.close();
  });

  it('keeps JSON remainders shared while few, and per row past the limit, reading both back', async () => {
    const index = openIndex(indexDir(), { batchRows: 50, maxSharedRests: 40 });
    const many = Array.from({ length: 300 }, (_, i) =>
      base(1, {
        '@timestamp': new Date(Date.UTC(2026, 2, 1) + i).toISOString(),
        message: `many ${i}`,
        shiplog: position(i + 1),
        log: { syslog: { procid: String(i % 120) } },
      }),
    );
    await writeBundle(index, 'acme', 'b1', many);
    const result = await index.search({ tenants: ['acme'], q: 'many', filters: {}, limit: 1000 });
    expect(result.hits.map((hit) => hit.event)).toEqual(many);
    await index.close();
  });
});

describe('parseTimestamp', () => {
  // text, UTC ms, ns within the ms, and whether formatTimestamp spells it back from a format number alone.
  it.each([
    ['2026-03-01T10:00:00Z', Date.UTC(2026, 2, 1, 10), 0, true],
    ['2026-03-01t10:00:00z', Date.UTC(2026, 2, 1, 10), 0, false],
    ['2026-03-01 10:00:00Z', Date.UTC(2026, 2, 1, 10), 0, false],
    ['2026-03-01T10:00:00.5Z', Date.UTC(2026, 2, 1, 10) + 500, 0, true],
    ['2026-03-01T10:00:00.123456789Z', Date.UTC(2026, 2, 1, 10) + 123, 456789, true],
    ['2026-03-01T10:00:00.1234567891234Z', Date.UTC(2026, 2, 1, 10) + 123, 456789, false],
    ['2026-03-01T11:30:00+01:30', Date.UTC(2026, 2, 1, 10), 0, true],
    ['2026-02-28T23:00:00-11:00', Date.UTC(2026, 2, 1, 10), 0, true],
    ['2026-03-01T10:00:00-00:00', Date.UTC(2026, 2, 1, 10), 0, true],
    ['2026-03-01T10:00:00.000000001+00:00', Date.UTC(2026, 2, 1, 10), 1, true],
    ['1969-12-31T23:59:59.999999999Z', -1, 999999, true],
    ['1969-12-31T23:59:59.000000001+01:00', -3_601_000, 1, true],
    ['0001-01-01T00:00:00Z', Date.UTC(2001, 0, 1) - 2000 * 365.2425 * 86_400_000, 0, true],
    ['2024-02-29T12:00:00Z', Date.UTC(2024, 1, 29, 12), 0, true],
    ['2026-02-30T12:00:00Z', Date.UTC(2026, 2, 2, 12), 0, false],
    ['2016-12-31T23:59:60Z', Date.UTC(2017, 0, 1), 0, false],
  ])('%s', (text, ms, ns, canonical) => {
    const time = parseTimestamp(text);
    expect(time).toMatchObject({ ms, ns });
    if (canonical) expect(formatTimestamp(ms, ns, time?.format as number)).toBe(text);
    else expect(time?.format).toBe(-1);
  });

  it.each([
    '2026-03-01T10:00:00',
    '2026-03-01T10:00Z',
    '2026-3-01T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-03-32T10:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T10:60:00Z',
    '2026-03-01T10:00:00.Z',
    '2026-03-01T10:00:00+0100',
    '2026-03-01T10:00:00+01:60',
    '2026-03-01T10:00:00Z ',
    'Mar  1 10:00:00',
    '',
  ])('rejects %j', (text) => {
    expect(parseTimestamp(text)).toBeUndefined();
  });
});
