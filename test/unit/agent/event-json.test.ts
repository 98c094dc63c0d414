import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSyslogParser } from '../../../agent/parsers/syslog.ts';
import { type LineMeta as StageMeta, StreamEncoder } from '../../../agent/pipeline/encoding.ts';
import { eventId } from '../../../agent/pipeline/event-id.ts';
import { eventJson, quote, splitCanonical } from '../../../agent/pipeline/event-json.ts';
import { encodeEvent, encodeRecord, targetFor } from '../../../agent/sinks/elasticsearch/encoder.ts';
import type { LineRecord } from '../../../agent/sources/file/reader.ts';
import { type FileStream, fileParts } from '../../../agent/sources/file/stage.ts';
import type { LogEvent } from '../../../schemas/log-event.ts';

// Strings with what JSON must escape: quotes, backslashes, control characters,
// lone and paired surrogates, non-ASCII.
const hostileText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u2028', '\ud800', '\udfff', '\ud83d\ude00', 'é', '/'),
    fc.string({ minLength: 1, maxLength: 1 }),
  ),
});

const fullEvent = (message: string): LogEvent => ({
  '@timestamp': '2026-11-25T03:12:45.123456789Z',
  message,
  tags: ['invalid_utf8'],
  event: { dataset: 'docker.container_logs', original: message },
  log: {
    level: 'error',
    stream: 'stderr',
    file: { path: '/var/log/"odd"\\path' },
    syslog: {
      facility: { code: 4, name: 'auth' },
      severity: { code: 3, name: 'err' },
      priority: 35,
      appname: 'sshd',
      procid: '77',
      msgid: 'ID47',
      hostname: 'app-01',
      version: 1,
      structured_data: { 'exampleSDID@32473': { iut: '3', eventSource: 'Application "x"' } },
    },
  },
  host: { name: 'app-01' },
  container: { id: 'c0ffee', name: 'ledger', image: { name: 'vendor/ledger', tag: '4.2' }, labels: { a: 'b' } },
  service: { name: 'ledger' },
  process: { name: 'java', pid: 4242 },
  labels: { site: 'bank' },
  shiplog: {
    id: 'x',
    origin: { source: 'docker', key: 'c0ffee', position: '2026-11-25T03:12:45.123456789Z', seq: 2 },
    partial: true,
    truncated: true,
    multiline: 3,
    parse_failure: 'no syslog timestamp',
  },
});

describe('canonical event JSON', () => {
  it('quotes any string exactly as JSON.stringify does', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(quote(text)).toBe(JSON.stringify(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('holds every field of an event: it parses back to the same event', () => {
    fc.assert(
      fc.property(hostileText, (message) => {
        const event = fullEvent(message);
        expect(JSON.parse(eventJson(event))).toEqual(event);
      }),
    );
  });

  it('leads with @timestamp, event and shiplog.id, which the Elasticsearch sink splices around', () => {
    const record = eventJson(fullEvent('hello'));
    expect(record.startsWith('{"@timestamp":"2026-11-25T03:12:45.123456789Z","event":{"dataset":')).toBe(true);
    expect(splitCanonical(record)).toMatchObject({ id: 'x', timestamp: '2026-11-25T03:12:45.123456789Z' });
  });

  it('stores an object that lacks the parts of an event whole, rather than failing', () => {
    const odd = { message: 'no shiplog part' } as unknown as LogEvent;
    expect(JSON.parse(eventJson(odd))).toEqual(odd);
    expect(splitCanonical(JSON.stringify(odd))).toBeUndefined();
  });
});

describe('file lines as records', () => {
  const cursor: FileStream = { entry: { key: '2049:1234:ab12' }, path: '/var/log/messages' };
  type LineMeta = StageMeta<FileStream>;
  const parse = createSyslogParser({ timezone: 'UTC' });
  const now = Date.UTC(2026, 10, 25, 12);

  function record(text: string, start: number, flags: Partial<LineRecord> = {}): LineRecord {
    const bytes = Buffer.byteLength(text);
    return {
      start,
      end: start + bytes + 1,
      text,
      bytes,
      truncated: false,
      invalidUtf8: false,
      skipping: false,
      ...flags,
    };
  }

  // What a file line is, as an object: the record must be exactly its JSON.
  function expected(
    meta: LineMeta,
    message: string,
    lineCount: number,
    truncated: boolean,
    invalid: boolean,
  ): LogEvent {
    const { parsed } = meta;
    const origin = { source: 'file' as const, key: '2049:1234:ab12', position: String(meta.record.start), seq: 0 };
    const event: LogEvent = {
      '@timestamp': parsed['@timestamp'],
      message,
      event: { dataset: 'system.syslog' },
      log: { file: { path: '/var/log/messages' }, ...(parsed.syslog ? { syslog: parsed.syslog } : {}) },
      host: { name: 'app-01' },
      shiplog: {
        id: eventId('app-01', origin),
        origin,
        ...(truncated ? { truncated: true } : {}),
        ...(lineCount > 1 ? { multiline: lineCount } : {}),
        ...(parsed.parse_failure !== undefined ? { parse_failure: parsed.parse_failure } : {}),
      },
    };
    if (parsed.process) event.process = parsed.process;
    if (invalid) event.tags = ['invalid_utf8'];
    return event;
  }

  const lines = [
    'Nov 25 03:12:45 app-01 sshd[77]: Accepted publickey for "ops" from 10.0.0.1',
    '<34>1 2026-11-25T03:12:45.123456+01:00 app-01 su - ID47 [exampleSDID@32473 iut="3"] \'su root\' failed',
    '2026-11-25T03:12:45.5Z app-01 kernel: tab\there and a backslash \\ too',
    '\tat com.vendor.Thing.run(Thing.java:42)',
    'Nov 25 03:12:45 app-01 app: emoji \ud83d\ude00 and a lone \ud800 surrogate',
  ];

  it('is byte for byte the canonical JSON of the event the line stands for', () => {
    const encoder = new StreamEncoder<FileStream>('app-01', fileParts);
    lines.forEach((text, i) => {
      const meta: LineMeta = { stream: cursor, record: record(text, i * 1000), parsed: parse(text, now) };
      expect(encoder.line(meta)).toBe(eventJson(expected(meta, meta.parsed.message, 1, false, false)));
    });
  });

  it('carries the merge and cut flags of a merged event, and the first line takes the id', () => {
    const encoder = new StreamEncoder<FileStream>('app-01', fileParts);
    const first: LineMeta = { stream: cursor, record: record(lines[0] ?? '', 10), parsed: parse(lines[0] ?? '', now) };
    const last: LineMeta = {
      stream: cursor,
      record: record(lines[3] ?? '', 200, { invalidUtf8: true }),
      parsed: parse(lines[3] ?? '', now),
    };
    const merged = encoder.merged({ text: 'a\nb', firstMeta: first, lastMeta: last, lineCount: 2, truncated: true });
    expect(merged).toBe(eventJson(expected(first, 'a\nb', 2, true, true)));
  });

  it('are spliced into the same bulk lines the event would have become', () => {
    const encoder = new StreamEncoder<FileStream>('app-01', fileParts);
    const target = targetFor('shiplog', 'default', true);
    const dated = targetFor('shiplog', 'default', false);
    for (const [i, text] of lines.entries()) {
      const recordText = encoder.line({ stream: cursor, record: record(text, i), parsed: parse(text, now) });
      const event = JSON.parse(recordText) as LogEvent;
      for (const t of [target, dated]) {
        const spliced = encodeRecord(recordText, t, '2026-11-25T04:00:00.000Z');
        const encoded = encodeEvent(event, t, '2026-11-25T04:00:00.000Z');
        expect(spliced.lines).toBe(encoded.lines);
        expect(spliced.bytes).toBe(encoded.bytes);
      }
    }
  });

  it('that are not canonical (an older spool) are decoded and encoded, and non-JSON throws', () => {
    const target = targetFor('shiplog', 'default', true);
    const event = fullEvent('older');
    // Key order of JSON.stringify: message before @timestamp, not canonical.
    const { message, ...rest } = event;
    const older = JSON.stringify({ message, ...rest });
    expect(splitCanonical(older)).toBeUndefined();
    expect(encodeRecord(older, target, 'T').lines).toBe(encodeEvent(event, target, 'T').lines);
    expect(() => encodeRecord('not json', target, 'T')).toThrow();
    expect(() => encodeRecord('42', target, 'T')).toThrow();
  });
});
