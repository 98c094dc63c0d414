// The one parse → multiline → encode stage: a line gives the same event
// whether a file, the syslog listener or `shiplog ship` hands it in, and
// every record it writes is a valid log event.
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { LineStage } from '../../../../agent/pipeline/line-stage.ts';
import { type FileStream, fileLineStage } from '../../../../agent/sources/file/stage.ts';
import { messageInput, type Peer, peerParts } from '../../../../agent/sources/syslog/messages.ts';
import { type LogEvent, LogEventSchema } from '../../../../schemas/log-event.ts';

const NOW = Date.parse('2026-09-01T12:00:00Z');
const off = { mode: 'off' as const, flush_after: '2s', max_lines: 500, max_bytes: '1MiB' };
const auto = { ...off, mode: 'auto' as const };

function events(records: string[]): LogEvent[] {
  return records.map((record) => {
    const event = JSON.parse(record) as LogEvent;
    expect(Value.Check(LogEventSchema, event), record).toBe(true);
    return event;
  });
}

describe('the line stage', () => {
  const file: FileStream = { entry: { key: '2049:77:abc' }, path: '/var/log/messages' };
  const peer: Peer = { key: 'tcp:127.0.0.1:514:192.0.2.7:40000:1.1', ip: '192.0.2.7', port: 40000 };
  const line = '<86>1 2026-08-31T23:59:59.5+02:00 gw sshd 42 AUTH [o@1 a="b"] session opened';

  it('gives a file line and a received message the same event, each with its own origin', () => {
    const fromFile: string[] = [];
    const fromNet: string[] = [];
    fileLineStage<FileStream>('h1', { timezone: 'UTC', multiline: off }).add(
      file,
      { start: 10, text: line, truncated: false, invalidUtf8: false },
      NOW,
      fromFile,
    );
    new LineStage<Peer>({ hostName: 'h1', timezone: 'UTC', multiline: off, parts: peerParts }).add(
      peer,
      messageInput(Buffer.from(line), 0, false),
      NOW,
      fromNet,
    );
    const [a] = events(fromFile);
    const [b] = events(fromNet);
    for (const key of ['@timestamp', 'message', 'process'] as const) expect(b?.[key]).toEqual(a?.[key]);
    expect(b?.log?.syslog).toEqual(a?.log?.syslog);
    expect(a?.log?.file?.path).toBe('/var/log/messages');
    expect(a?.source).toBeUndefined();
    expect(b?.source).toEqual({ ip: '192.0.2.7', port: 40000 });
    expect(a?.shiplog.origin).toMatchObject({ source: 'file', key: file.entry.key, position: '10' });
    expect(b?.shiplog.origin).toMatchObject({ source: 'syslog', key: peer.key, position: '0' });
    expect(a?.shiplog.id).not.toBe(b?.shiplog.id);
  });

  it('keeps bytes that are not UTF-8 exactly, in event.original, and tags the event', () => {
    const bytes = Buffer.concat([Buffer.from('<13>Jan  5 01:02:03 h app: caf'), Buffer.from([0xe9, 0x20, 0xc3, 0x28])]);
    const out: string[] = [];
    new LineStage<Peer>({ hostName: 'h1', timezone: 'UTC', multiline: auto, parts: peerParts }).add(
      peer,
      messageInput(bytes, 0, false),
      NOW,
      out,
    );
    const [event] = events(out);
    expect(event?.message).toBe('caf\ufffd \ufffd(');
    expect(event?.tags).toEqual(['invalid_utf8']);
    expect(Buffer.from(event?.event.original ?? '', 'base64').equals(bytes)).toBe(true);
  });

  it('tags an event whose time is the time of receipt', () => {
    const out: string[] = [];
    new LineStage<Peer>({ hostName: 'h1', timezone: 'UTC', multiline: off, parts: peerParts }).add(
      peer,
      messageInput(Buffer.from('<14>1 - h app - - - no clock here'), 5, true),
      NOW,
      out,
    );
    const [event] = events(out);
    expect(event?.['@timestamp']).toBe('2026-09-01T12:00:00.000Z');
    expect(event?.tags).toEqual(['timestamp_from_receipt']);
    expect(event?.shiplog.truncated).toBe(true);
  });

  it("holds a stack trace per stream and sends it when that stream's connection closes", () => {
    const stage = new LineStage<Peer>({ hostName: 'h1', timezone: 'UTC', multiline: auto, parts: peerParts });
    const other: Peer = { ...peer, key: 'tcp:other', port: 40001 };
    const out: string[] = [];
    const send = (p: Peer, text: string, at: number) =>
      stage.add(p, messageInput(Buffer.from(text), at, false), NOW, out);
    send(peer, '<11>Jan  5 01:02:03 h app[1]: java.lang.IllegalStateException: boom', 0);
    send(other, '<14>Jan  5 01:02:03 h app[1]: an ordinary line', 0);
    send(peer, '<11>Jan  5 01:02:03 h app[1]: \tat com.acme.Main.run(Main.java:10)', 100);
    expect(events(out).map((e) => e.message)).toEqual(['an ordinary line']);
    expect(stage.heldStarts().get(peer)).toBe(0);
    stage.flushStream(peer, out);
    const merged = events(out)[1];
    expect(merged?.message).toBe('java.lang.IllegalStateException: boom\n\tat com.acme.Main.run(Main.java:10)');
    expect(merged?.shiplog.multiline).toBe(2);
    expect(stage.heldStarts().size).toBe(0);
  });
});
