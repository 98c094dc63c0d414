// A file truncated and refilled in place with the same first line: its inode
// and first-line fingerprint are those of the file read before, so only the
// bytes before the read position (and a size below it) show that it is
// another file. Its lines must all arrive, under ids of their own, while the
// source runs and across a restart, and a crash while reading it must give
// the same new ids again.
import { appendFile, mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, MemoryStore, MemoryWriter, seqLine, seqLines, seqsOf, startSource, waitFor } from './harness.ts';

let dir = '';
const running: Harness[] = [];

function start(...args: Parameters<typeof startSource>): Harness {
  const harness = startSource(...args);
  running.push(harness);
  return harness;
}

/** The same first line every time the service starts: what defeats a first-line fingerprint. */
const BANNER = 'Mar  3 10:00:00 host app[1]: service starting, version 4.2\n';

/** Truncates in place (same inode) and writes `text` in one go. */
async function rewrite(path: string, text: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(0);
    await handle.write(text, 0);
  } finally {
    await handle.close();
  }
}

const keysOf = (harness: Harness) => new Set(harness.writer.events.map((e) => e.shiplog.origin.key));
const idsOf = (harness: Harness) => harness.writer.events.map((e) => e.shiplog.id);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shiplog-file-rewritten-'));
});

afterEach(async () => {
  for (const harness of running.splice(0)) await harness.source.stop(2000);
  await rm(dir, { recursive: true, force: true });
});

describe('a file truncated and refilled with the same first line', () => {
  it('while running, refilled past the old offset before the source looked: read again from its start under new ids', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, BANNER + seqLines(0, 20));
    const writer = new MemoryWriter();
    const harness = start([path], { writer });
    await waitFor(() => seqsOf(writer.events).length === 20, 'the first 20 lines');
    // Hold the next write, so that the source reads nothing while the file is rewritten.
    writer.block();
    await appendFile(path, seqLine(20));
    await waitFor(() => writer.pending === 1, 'the held write of line 20');
    await rewrite(path, BANNER + seqLines(100, 60));
    writer.unblock();
    await waitFor(() => seqsOf(writer.events).includes(159), 'the refilled lines');
    expect(seqsOf(writer.events)).toEqual([
      ...Array.from({ length: 21 }, (_, i) => i),
      ...Array.from({ length: 60 }, (_, i) => 100 + i),
    ]);
    const banners = writer.events.filter((e) => e.message.startsWith('service starting'));
    expect(banners).toHaveLength(2);
    expect(banners[0]?.shiplog.id).not.toBe(banners[1]?.shiplog.id);
    expect(new Set(idsOf(harness)).size).toBe(writer.events.length);
    expect(keysOf(harness).size).toBe(2);
    // Everything of the first content had been read: nothing lost, so no gap.
    expect(harness.telemetry.dropped.rotated_away ?? 0).toBe(0);
    expect(harness.source.status()[0]?.rewritten).toBe(1);
  });

  it('while running, refilled shorter than what was read: the new lines arrive under new ids', async () => {
    const path = join(dir, 'app.log');
    await writeFile(path, BANNER + seqLines(0, 50));
    const harness = start([path]);
    await waitFor(() => seqsOf(harness.writer.events).length === 50, 'the first 50 lines');
    await truncate(path, 0);
    await appendFile(path, BANNER + seqLines(200, 3));
    await waitFor(() => seqsOf(harness.writer.events).includes(202), 'the refilled lines');
    expect(seqsOf(harness.writer.events).slice(50)).toEqual([200, 201, 202]);
    expect(new Set(idsOf(harness)).size).toBe(harness.writer.events.length);
    expect(harness.telemetry.dropped.rotated_away ?? 0).toBe(0);
  });

  it.each([
    ['longer', 80],
    ['shorter', 3],
  ])('across a restart, refilled %s than the old offset: read from its start under new ids', async (_, count) => {
    const path = join(dir, 'app.log');
    const store = new MemoryStore();
    await writeFile(path, BANNER + seqLines(0, 30));
    const first = start([path], { store });
    await waitFor(() => seqsOf(first.writer.events).length === 30, 'the first 30 lines');
    await first.source.stop();
    await rewrite(path, BANNER + seqLines(300, count));
    const second = start([path], { store });
    await waitFor(() => seqsOf(second.writer.events).length === count, 'the refilled lines');
    expect(second.writer.events[0]?.message).toBe('service starting, version 4.2');
    expect(seqsOf(second.writer.events)).toEqual(Array.from({ length: count }, (_, i) => 300 + i));
    const before = new Set(idsOf(first));
    expect(idsOf(second).filter((id) => before.has(id))).toEqual([]);
    // The first content had been read to its end, but what it got after the stop is gone: said so, with 0 bytes known.
    expect(second.errors.map((e) => [e.code, e.details.bytes])).toEqual([['SHIPLOG_ERR_FILE_LOST_WHILE_STOPPED', 0]]);
    expect(second.errors[0]?.message).toContain('if any');
  });

  it('a crash while reading the rewritten file gives the same new ids on the next start', async () => {
    const path = join(dir, 'app.log');
    const store = new MemoryStore();
    await writeFile(path, BANNER + seqLines(0, 30));
    const first = start([path], { store });
    await waitFor(() => seqsOf(first.writer.events).length === 30, 'the first 30 lines');
    await first.source.stop();
    await rewrite(path, BANNER + seqLines(300, 40));
    // Reads the new content, but its write is never acknowledged: a crash.
    const crashed = new MemoryWriter();
    crashed.block();
    const second = start([path], { store, writer: crashed });
    await waitFor(() => crashed.attempted.length === 41, 'the unacknowledged write');
    await second.source.stop(50);
    const third = start([path], { store });
    await waitFor(() => third.writer.events.length === 41, 'the re-read');
    expect(idsOf(third)).toEqual(crashed.attempted.map((e) => e.shiplog.id));
    expect(idsOf(third).filter((id) => idsOf(first).includes(id))).toEqual([]);
  });

  it('a file that only grew is not taken for a rewritten one after a restart', async () => {
    const path = join(dir, 'app.log');
    const store = new MemoryStore();
    await writeFile(path, BANNER + seqLines(0, 10));
    const first = start([path], { store });
    await waitFor(() => seqsOf(first.writer.events).length === 10, 'the first 10 lines');
    await first.source.stop();
    await appendFile(path, seqLines(10, 5));
    const second = start([path], { store });
    await waitFor(() => seqsOf(second.writer.events).length === 5, 'the appended lines');
    expect(seqsOf(second.writer.events)).toEqual([10, 11, 12, 13, 14]);
    expect(keysOf(second)).toEqual(keysOf(first));
    expect(second.source.status()[0]?.rewritten).toBeUndefined();
  });
});
