import { afterEach, describe, expect, it, vi } from 'vitest';
import { stampId, streamIdPrefix } from '../../../../../agent/pipeline/event-id.ts';
import { eventJson } from '../../../../../agent/pipeline/event-json.ts';
import { Cursor, SeqCounter } from '../../../../../agent/sources/docker_logs/checkpoint.ts';
import { parseStamp, type Stamp, type StreamName } from '../../../../../agent/sources/docker_logs/lines.ts';
import {
  ContainerMerge,
  containerRecord,
  type EventContext,
  earliest,
  mergeConfig,
  type OutLine,
  singleLine,
} from '../../../../../agent/sources/docker_logs/merging.ts';
import { MetadataBuilder } from '../../../../../agent/sources/docker_logs/metadata.ts';
import type { Line } from '../../../../../agent/sources/docker_logs/partials.ts';
import type { MultilineConfig } from '../../../../../schemas/agent-config.ts';
import type { LogEvent } from '../../../../../schemas/log-event.ts';

const AUTO: MultilineConfig = { mode: 'auto', flush_after: '2s', max_lines: 500, max_bytes: '1MiB' };
const at = (ms: number): Stamp =>
  parseStamp(`2026-11-25T16:21:03.${String(ms * 1_000_000).padStart(9, '0')}Z`) as Stamp;
const line = (stream: StreamName, ms: number, text: string, extra: Partial<Line> = {}): Line => ({
  stream,
  stamp: at(ms),
  bytes: Buffer.from(text),
  partial: false,
  truncated: false,
  ...extra,
});
/** What a container line is, as an event: containerRecord must be exactly its canonical JSON. */
function containerEvent(context: EventContext, out: OutLine): LogEvent {
  const { first } = out;
  const origin = { source: 'docker' as const, key: context.containerId, position: first.stamp.text, seq: first.seq };
  const prefix = streamIdPrefix(context.hostName, 'docker', context.containerId, first.stream);
  const event: LogEvent = {
    '@timestamp': first.stamp.text,
    message: out.message,
    event: { dataset: 'docker.container_logs' },
    log: { stream: first.stream },
    host: { name: context.hostName },
    container: context.metadata.container,
    shiplog: { id: stampId(prefix, first.stamp.ns, first.seq), origin },
  };
  if (context.metadata.service) event.service = context.metadata.service;
  if (out.partial) event.shiplog.partial = true;
  if (out.truncated) event.shiplog.truncated = true;
  if (out.lineCount > 1) event.shiplog.multiline = out.lineCount;
  return event;
}

const ctx = {
  hostName: 'h',
  containerId: 'c'.repeat(64),
  metadata: new MetadataBuilder([]).fromList({ Id: 'c'.repeat(64), Names: ['/app'] }),
};

// A Java trace on stdout (two lines share a stamp), stderr lines in between, then an ordinary line.
const LOG: Line[] = [
  line('stdout', 1, 'starting'),
  line('stdout', 2, 'java.lang.IllegalStateException: ledger closed'),
  line('stderr', 2, 'warn: retry'),
  line('stdout', 2, '\tat com.acme.Ledger.post(Ledger.java:41)'),
  line('stdout', 3, 'Caused by: java.io.IOException: disk gone'),
  line('stdout', 3, '\t... 12 more'),
  line('stderr', 4, 'warn: again'),
  line('stdout', 5, 'next request'),
];

/** The follower's loop in small: seq, skip, merge; returns what went out and the cursor over it. */
function follow(log: Line[], merge: ContainerMerge, from = new Cursor()): { out: OutLine[]; cursor: Cursor } {
  const cursor = from.clone();
  const skipper = cursor.skipper();
  const seqs = new SeqCounter();
  merge.reset(cursor);
  const out: OutLine[] = [];
  for (const l of log) {
    const seq = seqs.next(l.stamp);
    if (skipper.skip(l.stream, l.stamp)) continue;
    for (const o of merge.push(l, seq, 0)) {
      cursor.setMark(o.last.stream, o.last.mark);
      out.push(o);
    }
  }
  return { out, cursor };
}

describe('docker_logs multiline merge glue', () => {
  afterEach(() => vi.useRealTimers());

  it('is off (no merge at all) for mode off, and rejects a bad start_pattern at once', () => {
    expect(mergeConfig({ ...AUTO, mode: 'off' })).toBeUndefined();
    expect(mergeConfig(AUTO)).toBe(AUTO);
    expect(() => mergeConfig({ ...AUTO, mode: 'pattern', start_pattern: '(' })).toThrow(/start_pattern/);
  });

  it('merges a trace per stream; the other stream and ordinary lines pass at once', () => {
    const merge = new ContainerMerge(AUTO, () => {});
    const { out } = follow(LOG, merge);
    expect(out.map((o) => [o.first.stream, o.message, o.lineCount])).toEqual([
      ['stdout', 'starting', 1],
      ['stderr', 'warn: retry', 1],
      ['stderr', 'warn: again', 1],
      [
        'stdout',
        'java.lang.IllegalStateException: ledger closed\n\tat com.acme.Ledger.post(Ledger.java:41)\n' +
          'Caused by: java.io.IOException: disk gone\n\t... 12 more',
        4,
      ],
      ['stdout', 'next request', 1],
    ]);
    const trace = out[3] as OutLine;
    // The first line's stamp and seq (the second line stamped 2 ms, after nothing else on stdout).
    expect([trace.first.stamp.text, trace.first.seq]).toEqual([at(2).text, 0]);
    expect(trace.last.mark).toEqual({ stamp: at(3), n: 2 });
    expect(merge.pending()).toEqual({});
  });

  it('reports the first held line per stream, and the cursor stops before it', () => {
    const merge = new ContainerMerge(AUTO, () => {});
    const { cursor } = follow(LOG.slice(0, 6), merge);
    expect(merge.pending()).toEqual({ stdout: at(2).ns });
    expect(cursor.mark('stdout')).toEqual({ stamp: at(1), n: 1 });
    expect(cursor.mark('stderr')).toEqual({ stamp: at(2), n: 1 });
    // The resume point is no later than the held trace: here stdout's mark, the line before it ...
    expect(cursor.resumeAt(merge.pending())).toBe(at(1).ns);
    // ... and without a reorder window, the held line's own stamp.
    expect(cursor.resumeAt(merge.pending(), ['stdout', 'stderr'], 0n)).toBe(at(2).ns);
    expect(earliest({ stdout: at(3).ns }, merge.pending(), { stderr: at(9).ns })).toEqual({
      stdout: at(2).ns,
      stderr: at(9).ns,
    });
  });

  it('re-reads a half-held trace whole after a restart and gives it the same id', () => {
    const whole = follow(LOG, new ContainerMerge(AUTO, () => {})).out;
    const expected = containerEvent(ctx, whole[3] as OutLine);

    // First run: the source stops (no flush) with the trace's first three lines held.
    const first = new ContainerMerge(AUTO, () => {});
    const { out: before, cursor } = follow(LOG.slice(0, 5), first);
    const since = cursor.resumeAt(first.pending()) as bigint;
    // Second run: a replay from `since` (inclusive) of the whole log, skipping what went out.
    const replay = LOG.filter((l) => l.stamp.ns >= since);
    const second = new ContainerMerge(AUTO, () => {});
    const { out: after } = follow(replay, second, cursor);
    after.push(...second.flushAll());

    const messages = [...before, ...after].map((o) => o.message);
    expect(messages).toEqual(whole.map((o) => o.message));
    const event = containerEvent(ctx, after.find((o) => o.lineCount > 1) as OutLine);
    expect(event.shiplog.id).toBe(expected.shiplog.id);
    expect(event).toMatchObject({ '@timestamp': at(2).text, shiplog: { multiline: 4 }, log: { stream: 'stdout' } });
  });

  it('flushes on its timer after flush_after, not while reading waits for room', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    let due = 0;
    const merge = new ContainerMerge(AUTO, () => due++);
    merge.push(line('stderr', 1, 'Traceback (most recent call last):'), 0, Date.now());
    merge.push(line('stderr', 1, '  File "app.py", line 3, in <module>'), 1, Date.now());
    merge.arm();
    merge.pause();
    vi.advanceTimersByTime(2_100);
    expect(due).toBe(1);
    expect(merge.flushDue(Date.now())).toEqual([]);
    merge.resume(Date.now());
    vi.advanceTimersByTime(1_000);
    expect(merge.flushDue(Date.now())).toEqual([]);
    vi.advanceTimersByTime(1_100);
    expect(due).toBe(2);
    expect(merge.flushDue(Date.now()).map((o) => o.lineCount)).toEqual([2]);
    merge.close();
  });

  it('writes each line or merged run as the canonical JSON of its event, byte for byte', () => {
    const labelled = {
      ...ctx,
      metadata: new MetadataBuilder(['com.docker.compose.*']).fromList({
        Id: 'c'.repeat(64),
        Names: ['/ledger-1'],
        Image: 'vendor/ledger:4.2',
        Labels: { 'com.docker.compose.service': 'ledger "main"', 'com.docker.compose.project': 'bank' },
      }),
    };
    const outs = [
      ...follow(LOG, new ContainerMerge(AUTO, () => {})).out,
      singleLine(line('stderr', 7, 'quote " backslash \\ nul \u0000 é', { partial: true, truncated: true }), 3),
    ];
    for (const context of [ctx, labelled]) {
      for (const out of outs) expect(containerRecord(context, out)).toBe(eventJson(containerEvent(context, out)));
    }
  });

  it('builds single-line events as before: no multiline field, flags kept', () => {
    const one = singleLine(line('stderr', 7, 'x', { partial: true, truncated: true }), 3);
    const event = containerEvent(ctx, one);
    expect(event.shiplog).toMatchObject({ partial: true, truncated: true, origin: { position: at(7).text, seq: 3 } });
    expect(event.shiplog.multiline).toBeUndefined();
  });
});
