import { describe, expect, it } from 'vitest';
import { formatSince, parseStamp, parseStampedPayload } from '../../../../../agent/sources/docker_logs/lines.ts';

describe('parseStamp', () => {
  it('reads Docker timestamps to the nanosecond', () => {
    const stamp = parseStamp('2026-11-25T16:21:41.184512441Z');
    expect(stamp?.ns).toBe(1795623701184512441n);
    expect(formatSince(stamp?.ns ?? 0n)).toBe('1795623701.184512441');
  });

  it('reads fewer fraction digits and zone offsets', () => {
    expect(parseStamp('2026-11-25T16:21:41Z')?.ns).toBe(1795623701000000000n);
    expect(parseStamp('2026-11-25T17:21:41.5+01:00')?.ns).toBe(1795623701500000000n);
  });

  it.each(['', 'yesterday', '2026-11-25 16:21:41Z', '2026-11-25T16:21:41.1234567890Z'])('rejects %j', (text) => {
    expect(parseStamp(text)).toBeUndefined();
  });
});

describe('parseStamp on a run of lines', () => {
  it('gives every stamp of a second the same nanoseconds as a fresh parse, whatever came before', () => {
    const stamps = [
      '2026-11-25T16:21:41.184512441Z',
      '2026-11-25T16:21:41.000000000Z',
      '2026-11-25T16:21:41.999999999Z',
      '2026-11-25T16:21:42.000000001Z',
      '2026-11-25T16:21:41.5Z',
      '2026-11-25T16:21:41.184512441+01:00',
      '2026-11-25T16:21:41.18451244xZ',
      '2026-11-25T16:21:41.184512441Z',
      '2026-12-31T23:59:59.999999999Z',
    ];
    const expected: Record<string, bigint | undefined> = {
      '2026-11-25T16:21:41.184512441Z': 1795623701184512441n,
      '2026-11-25T16:21:41.000000000Z': 1795623701000000000n,
      '2026-11-25T16:21:41.999999999Z': 1795623701999999999n,
      '2026-11-25T16:21:42.000000001Z': 1795623702000000001n,
      '2026-11-25T16:21:41.5Z': 1795623701500000000n,
      '2026-11-25T16:21:41.184512441+01:00': 1795620101184512441n,
      '2026-11-25T16:21:41.18451244xZ': undefined,
      '2026-12-31T23:59:59.999999999Z': 1798761599999999999n,
    };
    for (const order of [stamps, [...stamps].reverse()]) {
      for (const text of order) expect(parseStamp(text)?.ns).toBe(expected[text]);
    }
  });
});

describe('parseStampedPayload', () => {
  it('splits stamp and body and tells a complete line from a fragment', () => {
    const line = parseStampedPayload(Buffer.from('2026-11-25T16:21:41.184512441Z hello world\n'));
    expect([line?.stamp.text, line?.body.toString(), line?.complete]).toEqual([
      '2026-11-25T16:21:41.184512441Z',
      'hello world',
      true,
    ]);
    const fragment = parseStampedPayload(Buffer.from('2026-11-25T16:21:41.184512441Z part'));
    expect(fragment?.complete).toBe(false);
  });

  it('reads an empty line', () => {
    const empty = parseStampedPayload(Buffer.from('2026-11-25T16:21:41.184512441Z \n'));
    expect([empty?.body.length, empty?.complete]).toEqual([0, true]);
  });

  it('returns undefined for a payload without a stamp', () => {
    expect(parseStampedPayload(Buffer.from('Error grabbing logs: unexpected EOF\n'))).toBeUndefined();
  });
});
