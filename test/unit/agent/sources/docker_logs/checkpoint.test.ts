import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Cursor,
  parseCheckpoint,
  REORDER_WINDOW_NS,
  SeqCounter,
  sinceToNs,
} from '../../../../../agent/sources/docker_logs/checkpoint.ts';
import {
  formatSince,
  parseStamp,
  type Stamp,
  type StreamName,
} from '../../../../../agent/sources/docker_logs/lines.ts';

/** A stamp `offset` nanoseconds into one second. */
const at = (offset: number): Stamp => parseStamp(`2026-11-25T16:21:03.${String(offset).padStart(9, '0')}Z`) as Stamp;
const SECOND = sinceToNs(formatSince((at(0) as Stamp).ns));

interface Stored {
  stream: StreamName;
  stamp: Stamp;
  id: number;
}

/**
 * A log as a driver stores it: in API order, each stream's stamps never go
 * back, and a line is stored at most `window` after lines stamped later.
 */
const storedLog = (window: number) =>
  fc
    .array(
      fc.record({
        stream: fc.constantFrom<StreamName>('stdout', 'stderr'),
        step: fc.constantFrom(0, 0, 1, 2, 5),
        lag: fc.integer({ min: 0, max: Math.floor(window / 2) }),
      }),
      { maxLength: 60 },
    )
    .map((specs) => {
      let base = window;
      const latest: Record<StreamName, number> = { stdout: 0, stderr: 0 };
      return specs.map((spec, id): Stored => {
        base += spec.step;
        const t = Math.max(latest[spec.stream], base - spec.lag);
        latest[spec.stream] = t;
        return { stream: spec.stream, stamp: at(t), id };
      });
    });

/** What Docker replays from `since`: every stored line stamped at or after it, in stored order. */
const replay = (log: Stored[], since: bigint | undefined) =>
  since === undefined ? log : log.filter((l) => l.stamp.ns >= since);

function seqs(lines: Stored[]): Map<number, number> {
  const counter = new SeqCounter();
  return new Map(lines.map((l) => [l.id, counter.next(l.stamp)]));
}

describe('checkpoint arithmetic', () => {
  it('resumes with every unacknowledged line exactly once, whatever the cross-stream reordering', () => {
    const window = 40;
    fc.assert(
      fc.property(
        storedLog(window),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (log, ackFraction, flightFraction) => {
          const acked = Math.floor(ackFraction * log.length);
          const handed = acked + Math.floor(flightFraction * (log.length - acked));
          const cursor = new Cursor();
          for (const line of log.slice(0, acked)) cursor.advance(line.stream, line.stamp);
          // Lines handed on but not acknowledged yet: their first stamp per stream.
          const unfinished: Partial<Record<StreamName, bigint>> = {};
          for (const line of log.slice(acked, handed)) unfinished[line.stream] ??= line.stamp.ns;

          const since = cursor.resumeAt(unfinished, undefined, BigInt(window));
          const stored = since === undefined ? undefined : cursor.checkpoint(since);
          const resumed = Cursor.from(stored);
          const skipper = resumed.skipper();
          const replayed = replay(log, stored ? sinceToNs(stored.since) : undefined);
          const delivered = replayed.filter((l) => !skipper.skip(l.stream, l.stamp));

          expect(delivered.map((l) => l.id)).toEqual(log.slice(acked).map((l) => l.id));
          // The same lines get the same event-id seq as in a read from the beginning.
          const original = seqs(log);
          const again = seqs(replayed);
          for (const line of delivered) expect(again.get(line.id)).toBe(original.get(line.id));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('vector#19105: a stderr line stamped before the last acknowledged stdout line is not lost on resume', () => {
    // Stored order: stdout@10 (acked), stderr@9 (not acked: stamped earlier, stored later).
    const cursor = new Cursor();
    cursor.advance('stdout', at(10));
    const stored = cursor.checkpoint(cursor.resumeAt({ stderr: at(9).ns }) as bigint);
    const skipper = Cursor.from(stored).skipper();
    const replayed = [
      { stream: 'stdout' as const, stamp: at(10) },
      { stream: 'stderr' as const, stamp: at(9) },
    ].filter((l) => l.stamp.ns >= sinceToNs(stored.since));
    expect(replayed.filter((l) => !skipper.skip(l.stream, l.stamp)).map((l) => l.stream)).toEqual(['stderr']);
  });

  it('counts lines that share a timestamp and skips only as many as were acknowledged', () => {
    const cursor = new Cursor();
    cursor.advance('stdout', at(5));
    cursor.advance('stdout', at(7));
    cursor.advance('stdout', at(7));
    const stored = cursor.checkpoint(cursor.resumeAt({}, ['stdout']) as bigint);
    expect(stored).toEqual({ since: formatSince(at(7).ns), stdout: { ts: at(7).text, n: 2 } });
    const skipper = Cursor.from(stored).skipper();
    expect([at(7), at(7), at(7), at(8)].map((s) => skipper.skip('stdout', s))).toEqual([true, true, false, false]);
  });

  it('never skips again on a stream once a line past its mark was seen', () => {
    const cursor = new Cursor();
    cursor.advance('stderr', at(50));
    const skipper = cursor.skipper();
    expect(skipper.skip('stderr', at(60))).toBe(false);
    // A clock stepped back: delivered, not dropped as "old".
    expect(skipper.skip('stderr', at(40))).toBe(false);
  });

  it('resumes an idle stream no earlier than the reorder window before the newest line', () => {
    const cursor = new Cursor();
    cursor.advance('stderr', at(1));
    const late = SECOND + REORDER_WINDOW_NS * 3n;
    const stamp = parseStamp(`${new Date(Number(late / 1_000_000n)).toISOString().slice(0, 19)}.000000000Z`) as Stamp;
    cursor.advance('stdout', stamp);
    expect(cursor.resumeAt()).toBe(stamp.ns - REORDER_WINDOW_NS);
  });

  it('resumes at the stamp of a pending partial line even when it is older than the window', () => {
    const cursor = new Cursor();
    cursor.advance('stdout', at(900_000_000));
    expect(cursor.resumeAt({ stdout: at(1).ns }, undefined, 10n)).toBe(at(1).ns);
  });

  it('reads the whole log when nothing was acknowledged', () => {
    expect(new Cursor().resumeAt({ stdout: at(3).ns })).toBeUndefined();
  });
});

describe('parseCheckpoint', () => {
  it('accepts what a cursor stores', () => {
    const cursor = new Cursor();
    cursor.advance('stdout', at(1));
    cursor.advance('stderr', at(2));
    const stored = cursor.checkpoint(at(1).ns);
    expect(parseCheckpoint(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
  });

  it.each([
    [undefined],
    ['text'],
    [{ since: 12 }],
    [{ since: '1.5' }],
    [{ since: '1795623701.184512441', stdout: { ts: 'yesterday', n: 1 } }],
    [{ since: '1795623701.184512441', stderr: { ts: '2026-11-25T16:21:03.000000001Z', n: 0 } }],
  ])('rejects %j', (value) => {
    expect(parseCheckpoint(value)).toBeUndefined();
  });
});

describe('SeqCounter', () => {
  it('numbers lines that share a stamp across both streams, from 0', () => {
    const counter = new SeqCounter();
    expect([at(1), at(1), at(2), at(1)].map((s) => counter.next(s))).toEqual([0, 1, 0, 2]);
  });

  it('stays bounded', () => {
    const counter = new SeqCounter();
    for (let i = 0; i < 100_000; i++) counter.next(at(i));
    expect(counter.next(at(99_999))).toBe(1);
  });
});
