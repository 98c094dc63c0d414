// The file source over real files in a temporary directory, with an
// in-memory writer and state store standing in for the spool and the
// checkpoint store. Rotation with a real rsyslogd is in test/integration/file.
import { appendFile, mkdir, mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileSource } from '../../../../../agent/sources/file/index.ts';
import {
  CountingTelemetry,
  defaultFileSourceConfig,
  exactlyOnce,
  type Harness,
  MemoryStore,
  MemoryWriter,
  seqLines,
  seqsOf,
  startSource,
  waitFor,
} from './harness.ts';

let dir = '';
const running: Harness[] = [];

function start(...args: Parameters<typeof startSource>): Harness {
  const harness = startSource(...args);
  running.push(harness);
  return harness;
}

function savedOffsets(store: MemoryStore): number[] {
  const saved = store.values.get('file-source');
  if (!saved) return [];
  return (JSON.parse(saved) as { files: { offset: number }[] }).files.map((f) => f.offset);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shiplog-file-source-'));
});

afterEach(async () => {
  for (const harness of running.splice(0)) await harness.source.stop(2000);
  await rm(dir, { recursive: true, force: true });
});

describe('file source', () => {
  it('tails a syslog file into ECS events with deterministic ids', async () => {
    const path = join(dir, 'messages');
    await writeFile(path, seqLines(0, 3));
    const { writer } = start([path]);
    await waitFor(() => writer.events.length === 3, '3 events');
    const [first] = writer.events;
    expect(first).toMatchObject({
      '@timestamp': expect.stringMatching(/^\d{4}-03-03T10:00:00\.000Z$/),
      message: 'seq=0',
      event: { dataset: 'system.syslog' },
      host: { name: 'test-host' },
      log: { file: { path }, syslog: { hostname: 'host', appname: 'app', procid: '1000' } },
      process: { name: 'app', pid: 1000 },
      shiplog: { origin: { source: 'file', position: '0', seq: 0 } },
    });
    expect(first?.shiplog.origin.key).toMatch(/^\d+:\d+:[0-9a-f]{16}$/);
    expect(new Set(writer.events.map((e) => e.shiplog.id)).size).toBe(3);

    await appendFile(path, seqLines(3, 2));
    await waitFor(() => writer.events.length === 5, 'appended lines');
    expect(seqsOf(writer.events)).toEqual([0, 1, 2, 3, 4]);
  });

  it('holds back a line until its newline arrives', async () => {
    const path = join(dir, 'messages');
    await writeFile(path, 'Mar  3 10:00:00 host app: first\nMar  3 10:00:01 host app: sec');
    const { writer } = start([path]);
    await waitFor(() => writer.events.length === 1, 'the complete line');
    await appendFile(path, 'ond\n');
    await waitFor(() => writer.events.length === 2, 'the completed line');
    expect(writer.events.map((e) => e.message)).toEqual(['first', 'second']);
  });

  it('reads nothing more while a write is pending, and saves an offset only once it is acknowledged', async () => {
    const path = join(dir, 'messages');
    await writeFile(path, seqLines(0, 10));
    const store = new MemoryStore();
    const writer = new MemoryWriter();
    writer.block();
    start([path], { store, writer });
    await waitFor(() => writer.pending === 1, 'the first write');
    await appendFile(path, seqLines(10, 10));
    // The poll interval passes many times; a second write would mean reading went on.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(writer.writes).toBe(1);
    expect(savedOffsets(store).every((offset) => offset === 0)).toBe(true);
    writer.unblock();
    await waitFor(() => writer.events.length === 20, 'all 20 lines');
    const size = seqLines(0, 20).length;
    await waitFor(() => savedOffsets(store)[0] === size, 'the offset at the end of the file');
  });

  it('resumes after a restart where it left off: nothing lost, nothing twice', async () => {
    const path = join(dir, 'messages');
    const store = new MemoryStore();
    await writeFile(path, seqLines(0, 50));
    const first = start([path], { store });
    await waitFor(() => first.writer.events.length === 50, '50 events');
    await first.source.stop();
    await appendFile(path, seqLines(50, 25));
    const second = start([path], { store });
    await waitFor(() => second.writer.events.length === 25, 'the 25 lines written while stopped');
    expect(exactlyOnce([...first.writer.events, ...second.writer.events], 75)).toEqual({ missing: [], duplicated: [] });
  });

  it('after a crash (never acknowledged) re-reads the same lines with the same ids', async () => {
    const path = join(dir, 'messages');
    const store = new MemoryStore();
    await writeFile(path, seqLines(0, 5));
    const crashed = new MemoryWriter();
    crashed.block();
    const first = start([path], { store, writer: crashed });
    await waitFor(() => crashed.attempted.length === 5, 'the unacknowledged write');
    await first.source.stop(50);
    const second = start([path], { store });
    await waitFor(() => second.writer.events.length === 5, 'the re-read');
    expect(second.writer.events.map((e) => e.shiplog.id)).toEqual(crashed.attempted.map((e) => e.shiplog.id));
  });

  it('merges a stack trace per process, keeping the checkpoint before lines it still holds', async () => {
    const path = join(dir, 'messages');
    const store = new MemoryStore();
    const java = [
      'Mar  3 10:00:00 host bank[7]: java.lang.IllegalStateException: ledger closed',
      'Mar  3 10:00:00 other cron[9]: unrelated line in between',
      'Mar  3 10:00:00 host bank[7]: \tat com.acme.Ledger.post(Ledger.java:10)',
      'Mar  3 10:00:00 host bank[7]: \t... 3 more',
    ];
    const text = `${java.join('\n')}\n`;
    await writeFile(path, text);
    const { writer, source } = start([path], {
      store,
      config: { multiline: { mode: 'auto', flush_after: '1h', max_lines: 500, max_bytes: '1MiB' } },
    });
    await waitFor(() => writer.events.length === 1, 'the unrelated line');
    expect(writer.events[0]?.message).toBe('unrelated line in between');
    // Time for a checkpoint save; the trace is held, so none may pass its first line.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(savedOffsets(store).every((offset) => offset === 0)).toBe(true);
    // Stopping drains what merge holds, then saves past it.
    await source.stop();
    expect(writer.events[1]).toMatchObject({
      message:
        'java.lang.IllegalStateException: ledger closed\n\tat com.acme.Ledger.post(Ledger.java:10)\n\t... 3 more',
      shiplog: { multiline: 3, origin: { position: '0' } },
      process: { name: 'bank', pid: 7 },
    });
    expect(savedOffsets(store)).toEqual([text.length]);
  });

  it('emits a held trace after flush_after without a next line', async () => {
    const path = join(dir, 'messages');
    await writeFile(
      path,
      'Mar  3 10:00:00 host bank[7]: java.lang.Error: boom\nMar  3 10:00:00 host bank[7]: \tat a.B.c(B.java:1)\n',
    );
    const { writer } = start([path], {
      config: { multiline: { mode: 'auto', flush_after: 100, max_lines: 500, max_bytes: '1MiB' } },
    });
    await waitFor(() => writer.events.length === 1, 'the flushed trace');
    expect(writer.events[0]?.shiplog.multiline).toBe(2);
  });

  it('flags a line that is not UTF-8 instead of dropping it', async () => {
    const path = join(dir, 'messages');
    const bad = Buffer.concat([Buffer.from('Mar  3 10:00:00 host app: caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    await writeFile(path, bad);
    const { writer } = start([path]);
    await waitFor(() => writer.events.length === 1, 'the event');
    expect(writer.events[0]).toMatchObject({ message: 'caf\ufffd', tags: ['invalid_utf8'] });
  });

  it('after a copytruncate with nothing left unread reads the file again from 0, with no gap', async () => {
    const path = join(dir, 'messages');
    await writeFile(path, seqLines(0, 5));
    const { writer, telemetry, errors } = start([path]);
    await waitFor(() => writer.events.length === 5, '5 events');
    await truncate(path, 0);
    await appendFile(path, seqLines(5, 3));
    await waitFor(() => writer.events.length === 8, 'the lines after truncation');
    expect(seqsOf(writer.events)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(telemetry.dropped.rotated_away ?? 0).toBe(0);
    expect(errors).toEqual([]);
  });

  it('counts bytes truncated away before they were read as a gap, and says so', async () => {
    const path = join(dir, 'messages');
    await writeFile(path, seqLines(0, 1000));
    const writer = new MemoryWriter();
    writer.delayMs = 5;
    const { telemetry, errors } = start([path], { writer, options: { batchEvents: 1, readChunkBytes: 256 } });
    await waitFor(() => writer.events.length >= 50, 'some events');
    await truncate(path, 0);
    await appendFile(path, seqLines(5000, 2));
    await waitFor(() => seqsOf(writer.events).includes(5001), 'the lines after truncation');
    expect(telemetry.dropped.rotated_away).toBe(1);
    expect(errors.map((e) => e.code)).toContain('SHIPLOG_ERR_FILE_ROTATED_AWAY');
    writer.delayMs = 0;
  });

  it('notices a file rewritten in place past the old offset by its changed first line', async () => {
    const path = join(dir, 'messages');
    await writeFile(path, seqLines(0, 2));
    const { writer } = start([path]);
    await waitFor(() => writer.events.length === 2, '2 events');
    // Overwritten from byte 0 without ever shrinking: only the fingerprint shows it.
    const handle = await open(path, 'r+');
    await handle.write(seqLines(100, 6), 0);
    await handle.close();
    await waitFor(() => writer.events.length === 8, 'the rewritten file');
    expect(seqsOf(writer.events)).toEqual([0, 1, 100, 101, 102, 103, 104, 105]);
  });

  it('reads a file that took over the inode of one read before (inode reuse) from its start', async () => {
    const path = join(dir, 'messages');
    const store = new MemoryStore();
    await writeFile(path, seqLines(0, 3));
    const first = start([path], { store });
    await waitFor(() => first.writer.events.length === 3, '3 events');
    await first.source.stop();
    // Same device and inode, other content, longer than the saved offset:
    // to the tailer this is exactly a reused inode.
    const handle = await open(path, 'r+');
    await handle.truncate(0);
    await handle.write(seqLines(100, 5), 0);
    await handle.close();
    const second = start([path], { store });
    await waitFor(() => second.writer.events.length === 5, 'the new content');
    expect(seqsOf(second.writer.events)).toEqual([100, 101, 102, 103, 104]);
    expect(second.writer.events[0]?.shiplog.origin.key).not.toBe(first.writer.events[0]?.shiplog.origin.key);
  });

  it('reports a path it cannot read with its code and keeps tailing the others', async () => {
    const good = join(dir, 'good.log');
    const bad = join(dir, 'bad.log');
    await writeFile(good, seqLines(0, 2));
    // A directory where a file is expected fails for root too (EISDIR).
    await mkdir(bad);
    const { writer, errors, source } = start([bad, good]);
    await waitFor(() => writer.events.length === 2, 'the readable file');
    await waitFor(() => errors.length > 0, 'the error');
    expect(errors[0]).toMatchObject({ code: 'SHIPLOG_ERR_FILE_UNREADABLE' });
    expect(errors[0]?.message).toContain(bad);
    expect(source.status().find((s) => s.path === bad)?.error).toMatch(/EISDIR/);
  });

  it('picks up a file that matches a glob after start, and a sibling rotated before it was seen', async () => {
    const { writer } = start([join(dir, '*.log')]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Written since the source started, so not history: read first, oldest first.
    await writeFile(join(dir, 'late.log.1'), seqLines(100, 2));
    await writeFile(join(dir, 'late.log'), seqLines(0, 2));
    await waitFor(() => writer.events.length === 4, 'both files');
    expect(seqsOf(writer.events)).toEqual([100, 101, 0, 1]);
  });

  it('fails at construction on a time zone it does not know, and stops safely before start', async () => {
    const deps = {
      writer: new MemoryWriter(),
      state: new MemoryStore(),
      telemetry: new CountingTelemetry(),
      hostName: 'h',
    };
    expect(() =>
      createFileSource({ ...deps, config: defaultFileSourceConfig({ paths: [], timezone: 'Nowhere/Special' }) }),
    ).toThrow(expect.objectContaining({ code: 'SHIPLOG_ERR_FILE_TIMEZONE_INVALID' }));
    const idle = createFileSource({ ...deps, config: defaultFileSourceConfig({ paths: [join(dir, 'x')] }) });
    await idle.stop();
    await idle.stop();
    await idle.start();
  });
});
