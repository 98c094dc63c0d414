// Multiline auto on what real services print (test/fixtures/multiline/SOURCES.md
// says where each trace was quoted from): every trace is one event, and lines
// that only mention an exception stay events of their own.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LineStage } from '../../../../agent/pipeline/line-stage.ts';
import { type AutoState, autoNext, autoOpens } from '../../../../agent/pipeline/multiline-auto.ts';
import { messageInput, type Peer, peerParts } from '../../../../agent/sources/syslog/messages.ts';
import { createLineMerger, type MergedEvent } from '../../../../agent/transforms/merge_lines.ts';
import type { MultilineConfig } from '../../../../schemas/agent-config.ts';
import type { LogEvent } from '../../../../schemas/log-event.ts';

function fixture(name: string): string[] {
  const text = readFileSync(new URL(`../../../fixtures/multiline/${name}`, import.meta.url), 'utf8');
  return text.replace(/\n$/, '').split('\n');
}

const auto: MultilineConfig = { mode: 'auto', flush_after: '2s', max_lines: 500, max_bytes: '1MiB' };

function run(lines: string[]): MergedEvent<number>[] {
  const merger = createLineMerger<number>(auto);
  const out = lines.flatMap((text, index) => merger.push({ text, meta: index }, 0));
  return [...out, ...merger.flushAll()];
}

const whole = [
  'java-four-space-frames.txt',
  'java-jshell-tab-frames.txt',
  'java-spring-caused-by-own-line.txt',
  'java-caused-by.txt',
  'go-concurrent-map-writes.txt',
  'go-concurrent-map-read-write.txt',
  'go-panic-goroutines.txt',
  'python-chained-absl.txt',
  'python-chained-context.txt',
  'python-chained.txt',
  'node-fetch-cause.txt',
  'node-socket-cause.txt',
  'node-unhandled-error-event.txt',
  'ruby-bundler-from.txt',
  'csharp-inner-exceptions.txt',
  'dart-unhandled-ctags.txt',
  'dart-throw-string.txt',
];

describe('multiline auto on real traces', () => {
  it.each(whole)('%s is one event', (name) => {
    const lines = fixture(name);
    const events = run(lines);
    expect(events.map((e) => e.lineCount)).toEqual([lines.length]);
    expect(events[0]?.text).toBe(lines.join('\n'));
  });

  it('keeps each trace apart when they follow each other, with ordinary lines between', () => {
    const traces = [
      'node-socket-cause.txt',
      'dart-throw-string.txt',
      'go-concurrent-map-writes.txt',
      'ruby-bundler-from.txt',
    ];
    const lines: string[] = [];
    const expected: number[] = [];
    for (const name of traces) {
      const trace = fixture(name);
      lines.push(...trace, 'INFO request served in 12 ms');
      expected.push(trace.length, 1);
    }
    expect(run(lines).map((e) => e.lineCount)).toEqual(expected);
  });

  it('joins the PHP error and its stack trace, and leaves the log lines around it alone', () => {
    const lines = fixture('php-error-log-uncaught.txt');
    const events = run(lines);
    expect(events.map((e) => e.lineCount)).toEqual([1, 1, 1, 1, 6, 1]);
    expect(events[4]?.text.split('\n').at(-1)).toMatch(/^ {2}thrown in .* on line 6$/);
  });

  it('keeps a Java trace whole across a blank line before Caused by', () => {
    const java = fixture('java-caused-by.txt');
    const at = java.findIndex((line) => line.startsWith('Caused by:'));
    const lines = [...java.slice(0, at), '', ...java.slice(at)];
    expect(run(lines).map((e) => e.lineCount)).toEqual([lines.length]);
  });

  it('continues .NET traces through "--- End of stack trace from previous location ---"', () => {
    let state: AutoState = autoOpens('Unhandled exception. System.Net.Http.HttpRequestException: An error occurred');
    expect(state).toBe('stack');
    for (const line of fixture('csharp-previous-location.txt')) {
      const next = autoNext(state, line, false, false);
      expect(next, line).toBe('stack');
      state = next as AutoState;
    }
  });

  it('leaves lines that only mention an exception as events of their own', () => {
    const lines = [
      'INFO retrying after IOException: timed out',
      'INFO retry 2 of 5 for batch 88121',
      'WARN upstream said: Error: 503 Service Unavailable',
      'at 12:00 the nightly job starts',
      'DEBUG caught TimeoutException',
      '',
      'INFO done',
      'panic recovered in handler, continuing',
      'goroutine pool resized to 8',
    ];
    const events = run(lines);
    expect(events.map((e) => e.lineCount)).toEqual(lines.map(() => 1));
    expect(lines.map(autoOpens).filter((s) => s !== 'stack' && s !== 'none')).toEqual([]);
  });

  it('does not hold an ordinary line at all', () => {
    for (const line of ['Sep  1 12:00:00 host1 sshd[1000]: Accepted publickey for alice', 'GET /health 200 3ms', '']) {
      expect(autoOpens(line)).toBe('none');
    }
  });
});

describe('multiline auto through the line stage', () => {
  it('joins a trace sent line by line over syslog, with another process interleaved', () => {
    const peer: Peer = { key: 'tcp:127.0.0.1:514:192.0.2.7:40000:1.1', ip: '192.0.2.7', port: 40000 };
    const stage = new LineStage<Peer>({ hostName: 'h1', timezone: 'UTC', multiline: auto, parts: peerParts });
    const trace = fixture('node-fetch-cause.txt');
    const out: string[] = [];
    let position = 0;
    const send = (text: string) => stage.add(peer, messageInput(Buffer.from(text), position++, false), 0, out);
    trace.forEach((line, i) => {
      send(`<11>Jan  5 01:02:03 web1 api[4242]: ${line}`);
      if (i === 3) send('<13>Jan  5 01:02:03 web1 cron[77]: (root) CMD (run-parts /etc/cron.hourly)');
    });
    send('<14>Jan  5 01:02:04 web1 api[4242]: listening on :8080');
    stage.flushAll(out);
    const events = out.map((record) => JSON.parse(record) as LogEvent);
    expect(events.map((e) => e.message)).toEqual([
      '(root) CMD (run-parts /etc/cron.hourly)',
      trace.join('\n'),
      'listening on :8080',
    ]);
  });
});
