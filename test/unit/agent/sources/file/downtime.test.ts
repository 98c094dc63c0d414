// What the file source finds after it was stopped while the files went on:
// lines still on disk (in the file, its .1, its .gz) are read exactly once;
// a file rotated away and deleted before it was read to its end is counted,
// per tailed path, with the bytes known to be lost, and said with its code.
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  exactlyOnce,
  type Harness,
  MemoryStore,
  MemoryWriter,
  seqLines,
  seqsOf,
  startSource,
  waitFor,
} from './harness.ts';

const run = promisify(execFile);

let dir = '';
let log = '';
const running: Harness[] = [];

function start(...args: Parameters<typeof startSource>): Harness {
  const harness = startSource(...args);
  running.push(harness);
  return harness;
}

/** A first run that reads lines 0..count-1 of `log`, acknowledged, then stops cleanly. */
async function readThenStop(store: MemoryStore, count: number): Promise<Harness> {
  await writeFile(log, seqLines(0, count));
  const first = start([log], { store });
  await waitFor(() => seqsOf(first.writer.events).length === count, `the first ${count} lines`);
  await first.source.stop();
  return first;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shiplog-file-downtime-'));
  log = join(dir, 'messages');
});

afterEach(async () => {
  for (const harness of running.splice(0)) await harness.source.stop(2000);
  await rm(dir, { recursive: true, force: true });
});

describe('file source after downtime', () => {
  it('reads the rest of the checkpointed file from its .1 and counts nothing lost', async () => {
    const store = new MemoryStore();
    const first = await readThenStop(store, 50);
    await appendFile(log, seqLines(50, 10));
    await rename(log, `${log}.1`);
    await writeFile(log, seqLines(60, 10));
    const second = start([log], { store });
    await waitFor(() => seqsOf(second.writer.events).length === 20, 'the 20 lines written while stopped');
    expect(seqsOf(second.writer.events)).toEqual(Array.from({ length: 20 }, (_, i) => 50 + i));
    expect(exactlyOnce([...first.writer.events, ...second.writer.events], 70)).toEqual({ missing: [], duplicated: [] });
    expect(second.errors).toEqual([]);
    expect(second.telemetry.dropped.rotated_away ?? 0).toBe(0);
  });

  it('counts a file rotated away and deleted with the bytes it held unread, and reads what came after it', async () => {
    const store = new MemoryStore();
    await writeFile(log, seqLines(0, 40));
    const writer = new MemoryWriter();
    const first = start([log], { store, writer });
    await waitFor(() => seqsOf(writer.events).length === 40, 'the first 40 lines');
    // The spool is full: the source sees ten more lines but cannot hand them on before it stops.
    writer.block();
    const unread = seqLines(40, 10);
    await appendFile(log, unread);
    await waitFor(() => writer.pending === 1, 'the held write');
    await first.source.stop(50);
    // It stopped two hours ago, as far as its checkpoints tell.
    const saved = JSON.parse(store.values.get('file-source') ?? '{}') as { files: { seenAt: number }[] };
    for (const file of saved.files) file.seenAt -= 2 * 3_600_000;
    store.values.set('file-source', JSON.stringify(saved));
    // Meanwhile logrotate (rotate 1) ran twice, an hour ago and now: the file read up to line 39 is gone,
    // and the one written in between is .1, older than this start but newer than the agent's last look.
    await rename(log, `${log}.1`);
    await writeFile(log, seqLines(100, 5));
    await rename(`${log}.1`, `${log}.2`);
    await rename(log, `${log}.1`);
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(`${log}.1`, hourAgo, hourAgo);
    await unlink(`${log}.2`);
    await writeFile(log, seqLines(200, 5));

    const second = start([log], { store });
    await waitFor(() => seqsOf(second.writer.events).length === 10, 'the two files written while stopped');
    // The file rotated in after the lost one is read too, first, though the checkpoint never saw it.
    expect(seqsOf(second.writer.events)).toEqual([100, 101, 102, 103, 104, 200, 201, 202, 203, 204]);
    expect(second.errors.map((e) => e.code)).toEqual(['SHIPLOG_ERR_FILE_LOST_WHILE_STOPPED']);
    const [error] = second.errors;
    expect(error?.details).toMatchObject({
      path: log,
      file: log,
      bytes: unread.length,
      offset: seqLines(0, 40).length,
    });
    expect(error?.message).toContain(`at least ${unread.length} byte(s) of ${log}`);
    expect(second.telemetry.dropped.rotated_away).toBe(1);
    expect(second.telemetry.droppedBytes.rotated_away).toBe(unread.length);
    expect(second.source.status()).toEqual([
      expect.objectContaining({ path: log, lost: { gaps: 1, bytes_at_least: unread.length } }),
    ]);

    // Counted once: a third start finds nothing new to count.
    await second.source.stop();
    const third = start([log], { store });
    await appendFile(log, seqLines(205, 1));
    await waitFor(() => seqsOf(third.writer.events).length === 1, 'the next line');
    expect(third.errors).toEqual([]);
  });

  it('counts the exact bytes of a .gz left unread when read_rotated_gz is off', async () => {
    const store = new MemoryStore();
    await readThenStop(store, 30);
    const unread = seqLines(30, 12);
    await appendFile(log, unread);
    await rename(log, `${log}.1`);
    await run('gzip', [`${log}.1`]);
    await writeFile(log, seqLines(100, 2));
    const second = start([log], { store, config: { read_rotated_gz: false } });
    await waitFor(() => seqsOf(second.writer.events).length === 2, 'the new live file');
    await waitFor(() => second.errors.length === 1, 'the gap');
    expect(second.errors[0]).toMatchObject({
      code: 'SHIPLOG_ERR_FILE_LOST_WHILE_STOPPED',
      details: { file: `${log}.1.gz`, bytes: unread.length },
    });
    expect(second.errors[0]?.message).toContain('read_rotated_gz: false');
  });

  it('says so when a file read to its end is gone: what it got after the stop cannot be counted', async () => {
    const store = new MemoryStore();
    await readThenStop(store, 20);
    await unlink(log);
    await writeFile(log, seqLines(100, 3));
    const second = start([log], { store });
    await waitFor(() => seqsOf(second.writer.events).length === 3, 'the new file');
    expect(second.errors).toHaveLength(1);
    expect(second.errors[0]).toMatchObject({ code: 'SHIPLOG_ERR_FILE_LOST_WHILE_STOPPED', details: { bytes: 0 } });
    expect(second.errors[0]?.message).toContain('if any');
  });

  it('counts nothing on a first start: older rotations are history, not losses', async () => {
    await writeFile(`${log}.1`, seqLines(0, 5));
    // Rotated an hour ago, long before this agent was installed.
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(`${log}.1`, hourAgo, hourAgo);
    await writeFile(log, seqLines(5, 5));
    const harness = start([log]);
    await waitFor(() => seqsOf(harness.writer.events).length === 5, 'the live file');
    expect(seqsOf(harness.writer.events)).toEqual([5, 6, 7, 8, 9]);
    expect(harness.errors).toEqual([]);
  });
});
