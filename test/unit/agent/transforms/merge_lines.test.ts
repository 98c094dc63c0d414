import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLineMerger, cutUtf8, type MergedEvent } from '../../../../agent/transforms/merge_lines.ts';
import { isCodedError } from '../../../../core/coded-error.ts';
import type { MultilineConfig } from '../../../../schemas/agent-config.ts';

function fixture(name: string): string[] {
  const text = readFileSync(new URL(`../../../fixtures/multiline/${name}`, import.meta.url), 'utf8');
  return text.replace(/\n$/, '').split('\n');
}

const JAVA = fixture('java-caused-by.txt');
const PYTHON = fixture('python-chained.txt');
const GO = fixture('go-panic-goroutines.txt');

const auto: MultilineConfig = { mode: 'auto', flush_after: '2s', max_lines: 500, max_bytes: '1MiB' };

/** Pushes lines (meta = index) at time 0 and flushes; returns the events. */
function run(lines: string[], config: MultilineConfig = auto): MergedEvent<number>[] {
  const merger = createLineMerger<number>(config);
  const out = lines.flatMap((text, index) => merger.push({ text, meta: index }, 0));
  return [...out, ...merger.flushAll()];
}

/** Every input line comes out once, in order: the events' meta ranges tile 0..n-1. */
function expectTiling(events: MergedEvent<number>[], count: number): void {
  let next = 0;
  for (const event of events) {
    expect(event.firstMeta).toBe(next);
    expect(event.lastMeta - event.firstMeta + 1).toBe(event.lineCount);
    next = event.lastMeta + 1;
  }
  expect(next).toBe(count);
}

describe('merge_lines: auto mode', () => {
  it('joins a Java stack trace with Suppressed, Caused by and "... N more" into one event', () => {
    const events = run(JAVA);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      text: JAVA.join('\n'),
      lineCount: 15,
      firstMeta: 0,
      lastMeta: 14,
      truncated: false,
    });
  });

  it('joins a chained Python traceback, blank lines included, into one event', () => {
    const events = run(PYTHON);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ text: PYTHON.join('\n'), lineCount: PYTHON.length });
  });

  it('joins a Go panic with several goroutines and blank lines between them into one event', () => {
    const events = run(GO);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ text: GO.join('\n'), lineCount: GO.length });
  });

  it('keeps normal lines between the dumps as events of their own, in order', () => {
    const lines = [
      'INFO  batch 88121 received',
      ...JAVA,
      'INFO  retrying batch 88121',
      ...PYTHON,
      'WARN  reconciliation skipped',
      ...GO,
      'INFO  supervisor restarted batcher',
    ];
    const events = run(lines);
    expect(events.map((e) => e.lineCount)).toEqual([1, JAVA.length, 1, PYTHON.length, 1, GO.length, 1]);
    expect(events.map((e) => e.text.split('\n')[0])).toEqual([
      lines[0],
      JAVA[0],
      'INFO  retrying batch 88121',
      PYTHON[0],
      'WARN  reconciliation skipped',
      GO[0],
      'INFO  supervisor restarted batcher',
    ]);
    expectTiling(events, lines.length);
  });

  it('gives blank lines after a finished traceback back as their own events', () => {
    const lines = [
      'Traceback (most recent call last):',
      '  File "x.py", line 1, in <module>',
      'ValueError: bad',
      '',
      'next',
    ];
    const events = run(lines);
    expect(events.map((e) => e.text)).toEqual([lines.slice(0, 3).join('\n'), '', 'next']);
    expectTiling(events, lines.length);
  });

  it('emits a normal line at once and holds a possible start until the next line shows more', () => {
    const merger = createLineMerger<number>(auto);
    expect(merger.push({ text: 'plain line', meta: 0 }, 0)).toHaveLength(1);
    expect(merger.pendingFirst()).toBeUndefined();
    expect(merger.push({ text: JAVA[0] ?? '', meta: 1 }, 0)).toEqual([]);
    expect(merger.pendingFirst()).toBe(1);
    expect(merger.push({ text: JAVA[1] ?? '', meta: 2 }, 0)).toEqual([]);
    const [event] = merger.push({ text: 'after', meta: 3 }, 0);
    expect(event).toMatchObject({ firstMeta: 1, lastMeta: 2, lineCount: 2 });
  });

  it('flushes a held event flush_after after its last line, not before', () => {
    const merger = createLineMerger<number>(auto);
    merger.push({ text: JAVA[0] ?? '', meta: 0 }, 1000);
    merger.push({ text: JAVA[1] ?? '', meta: 1 }, 1500);
    expect(merger.nextDeadline()).toBe(3500);
    expect(merger.flushDue(3499)).toEqual([]);
    const flushed = merger.flushDue(3500);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).toMatchObject({ lineCount: 2, lastMeta: 1 });
    expect(merger.nextDeadline()).toBeUndefined();
    // After the flush a stray frame line no longer joins anything.
    expect(merger.push({ text: '\tat late.Frame(X.java:1)', meta: 2 }, 9000)).toMatchObject([{ lineCount: 1 }]);
  });
});

describe('merge_lines: caps', () => {
  it('splits at max_lines without losing or reordering a line; the rest of the dump stays together', () => {
    const lines = [JAVA[0] ?? '', ...Array.from({ length: 10 }, (_, i) => `\tat a.B.c${i}(B.java:${i})`), 'next'];
    const events = run(lines, { ...auto, max_lines: 4 });
    expect(events.map((e) => e.lineCount)).toEqual([4, 4, 3, 1]);
    expectTiling(events, lines.length);
  });

  it('cuts at max_bytes on a character boundary and flags it, still counting every line', () => {
    const lines = [
      'java.lang.IllegalStateException: ünïcödé everywhere',
      ...Array.from({ length: 50 }, () => '\tat ä.Ö.ü(Ü.java:1)'),
    ];
    const [event, ...rest] = run(lines, { ...auto, max_bytes: 100 });
    expect(rest).toEqual([]);
    expect(event?.truncated).toBe(true);
    expect(event?.lineCount).toBe(51);
    expect(event?.lastMeta).toBe(50);
    expect(Buffer.byteLength(event?.text ?? '')).toBeLessThanOrEqual(100);
    expect(event?.text).not.toContain('\ufffd');
    expect(lines.join('\n').startsWith(event?.text ?? 'x')).toBe(true);
  });

  it('cuts a single line over max_bytes too', () => {
    const [event] = run(['x'.repeat(300)], { ...auto, mode: 'off', max_bytes: 100 });
    expect(event).toMatchObject({ text: 'x'.repeat(100), truncated: true, lineCount: 1 });
  });

  it('carries an upstream cut through', () => {
    const merger = createLineMerger<number>(auto);
    expect(merger.push({ text: 'cut', meta: 0, truncated: true }, 0)).toMatchObject([{ truncated: true }]);
  });

  it('cutUtf8 never splits a character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), fc.nat(200), (text, max) => {
        const cut = cutUtf8(text, max);
        expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(Math.max(max, 0));
        expect(text.startsWith(cut)).toBe(true);
      }),
    );
  });
});

describe('merge_lines: pattern and off modes', () => {
  it('pattern: a line matching start_pattern starts an event, the others join it', () => {
    const config: MultilineConfig = { ...auto, mode: 'pattern', start_pattern: '^\\d{4}-\\d{2}-\\d{2} ' };
    const lines = [
      'continuation before any start',
      '2026-03-01 10:00:00 first',
      '  detail a',
      'detail b',
      '2026-03-01 10:00:01 second',
    ];
    const events = run(lines, config);
    expect(events.map((e) => e.lineCount)).toEqual([1, 3, 1]);
    expectTiling(events, lines.length);
  });

  it('pattern: a start_pattern that is not a regular expression fails with its code', () => {
    const config: MultilineConfig = { ...auto, mode: 'pattern', start_pattern: '([unclosed' };
    let error: unknown;
    try {
      createLineMerger(config);
    } catch (caught) {
      error = caught;
    }
    expect(isCodedError(error) && error.code).toBe('SHIPLOG_ERR_MULTILINE_PATTERN_INVALID');
  });

  it('off: every line is its own event', () => {
    const events = run(JAVA, { ...auto, mode: 'off' });
    expect(events).toHaveLength(JAVA.length);
    expectTiling(events, JAVA.length);
  });
});

describe('merge_lines: any input', () => {
  it('emits every line exactly once, in order, whatever the mix and the caps', () => {
    const pool = [...JAVA, ...PYTHON, ...GO, '', 'plain', 'Error: something', '   indented', 'panic: x'];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...pool), { maxLength: 80 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 400 }),
        fc.constantFrom<MultilineConfig['mode']>('auto', 'pattern', 'off'),
        (lines, maxLines, maxBytes, mode) => {
          const config: MultilineConfig = {
            ...auto,
            mode,
            start_pattern: '^\\S',
            max_lines: maxLines,
            max_bytes: maxBytes,
          };
          expectTiling(run(lines, config), lines.length);
        },
      ),
    );
  });
});
