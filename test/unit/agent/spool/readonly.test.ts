import { appendFile, open, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReadOnlySpool, Spool } from '../../../../agent/spool/index.ts';
import { frameBytes, writeFrame } from '../../../../agent/spool/record.ts';
import { payloadOfFrame, removeTempDirs, scanAll, segmentFiles, spoolOptions, tempDataDir } from './spool-helpers.ts';

afterEach(removeTempDirs);

const records = (label: string, count: number) =>
  Array.from({ length: count }, (_, i) => payloadOfFrame(`${label}${i}`, 100));
const strip = (values: string[]) => values.map((value) => value.replace(/\.+$/, ''));
const labels = (label: string, count: number) => Array.from({ length: count }, (_, i) => `${label}${i}`);

async function readAll(view: ReadOnlySpool, window?: { since?: Date; until?: Date }): Promise<string[]> {
  const out: string[] = [];
  for await (const record of view.scan(window)) out.push(record.data.toString('utf8'));
  return strip(out);
}

/** Every file under the spool directory with its size and mtime. */
async function snapshot(dataDir: string): Promise<Record<string, string>> {
  const dir = join(dataDir, 'spool');
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true })) {
    const info = await stat(join(dir, entry));
    out[entry] = `${info.isDirectory() ? 'dir' : info.size}@${info.mtimeMs}`;
  }
  return out;
}

/** A frame for `payload`, whole. */
function frame(payload: string, time: number): Buffer {
  const buffer = Buffer.alloc(frameBytes(Buffer.byteLength(payload)));
  writeFrame(buffer, 0, payload, Buffer.byteLength(payload), time);
  return buffer;
}

describe('spool: read-only view', () => {
  it('reads what a live spool appended while that spool stays open, locked and appending', async () => {
    const dataDir = await tempDataDir();
    const live = await Spool.open(spoolOptions(dataDir, { segmentBytes: 1000, readers: ['es'] }));
    await live.append(records('a', 25));
    expect((await segmentFiles(dataDir)).length).toBeGreaterThan(2);

    const view = await Spool.openReadOnly({ dataDir });
    // Appends go on during the scan; the scan sees at least what was there at open.
    const appending = (async () => {
      for (let i = 0; i < 10; i++) await live.append(records(`b${i}-`, 3));
    })();
    const seen = await readAll(view);
    await appending;
    expect(seen.slice(0, 25)).toEqual(labels('a', 25));
    expect(seen.slice(25).every((value) => value.startsWith('b'))).toBe(true);
    expect(view.stats()).toMatchObject({ missingSegments: 0, corruptions: 0, warnings: [] });

    // A view opened later sees the later appends; the live spool is unaffected and still appending.
    await live.append(['last']);
    const later = await readAll(await Spool.openReadOnly({ dataDir }));
    expect(later).toHaveLength(25 + 30 + 1);
    expect(later.at(-1)).toBe('last');
    expect(strip(await scanAll(live))).toEqual(later);
    const batch = await live.reader('es').read({ maxRecords: 2 });
    expect(strip(batch.records.map((r) => r.data.toString()))).toEqual(['a0', 'a1']);
    await live.close();
  });

  it('yields records with their append time, filtered by the window, with positions', async () => {
    const dataDir = await tempDataDir();
    let now = Date.parse('2026-03-01T00:00:00Z');
    const live = await Spool.open(spoolOptions(dataDir, { segmentBytes: 300, now: () => now }));
    for (let i = 0; i < 6; i++) {
      await live.append([`t${i}`]);
      now += 60_000;
    }
    const view = await Spool.openReadOnly({ dataDir });
    const all = [];
    for await (const record of view.scan()) all.push(record);
    expect(all.map((r) => r.time)).toEqual(Array.from({ length: 6 }, (_, i) => Date.parse('2026-03-01') + i * 60_000));
    expect(all[0]?.position).toEqual({ segment: 1, offset: 0, index: 0 });
    const windowed = await readAll(view, {
      since: new Date('2026-03-01T00:01:00Z'),
      until: new Date('2026-03-01T00:03:00Z'),
    });
    expect(windowed).toEqual(['t1', 't2', 't3']);
    await live.close();
  });

  it('stops at a half-written record at the tail of the newest segment without counting it', async () => {
    const dataDir = await tempDataDir();
    const live = await Spool.open(spoolOptions(dataDir, { segmentBytes: 1000 }));
    await live.append(records('r', 12));
    const newest = join(dataDir, 'spool', (await segmentFiles(dataDir)).at(-1) ?? '');
    // What a reader can see while the writer is in the middle of a write.
    const whole = frame(payloadOfFrame('torn', 100), Date.now());
    await appendFile(newest, whole.subarray(0, 60));
    const view = await Spool.openReadOnly({ dataDir });
    expect(await readAll(view)).toEqual(labels('r', 12));
    expect(view.stats()).toMatchObject({ corruptions: 0, corruptBytes: 0, warnings: [] });

    // Then the writer finishes it (it writes at its own offset, over the torn bytes).
    await live.append(['next']);
    expect((await readAll(await Spool.openReadOnly({ dataDir }))).at(-1)).toBe('next');
    await live.close();
  });

  it('skips a damaged record inside a segment as the normal reader does, and counts it', async () => {
    const dataDir = await tempDataDir();
    const live = await Spool.open(spoolOptions(dataDir, { segmentBytes: 1000 }));
    await live.append(records('r', 25));
    await live.close();
    const files = await segmentFiles(dataDir);
    const first = join(dataDir, 'spool', files[0] ?? '');
    const newest = join(dataDir, 'spool', files.at(-1) ?? '');
    // A flipped byte in the second record of the oldest segment and of the newest one.
    for (const path of [first, newest]) {
      const handle = await open(path, 'r+');
      await handle.write(Buffer.from([0xff]), 0, 1, 150);
      await handle.close();
    }
    const before = await snapshot(dataDir);
    const view = await Spool.openReadOnly({ dataDir });
    const seen = await readAll(view);
    expect(seen).toHaveLength(23);
    expect(seen).not.toContain('r1');
    expect(seen.at(-1)).toBe('r24');
    expect(view.stats()).toMatchObject({ corruptions: 2, corruptBytes: 200 });
    // Nothing repaired: the damage is left for the agent's recovery.
    expect(await snapshot(dataDir)).toEqual(before);
    const reopened = await Spool.open(spoolOptions(dataDir));
    expect(reopened.stats().dropped.spool_corrupt).toBe(2);
    await reopened.close();
  });

  it('counts a torn tail on an older segment, which only the newest one may have', async () => {
    const dataDir = await tempDataDir();
    const live = await Spool.open(spoolOptions(dataDir, { segmentBytes: 1000 }));
    await live.append(records('r', 15));
    await live.close();
    const first = join(dataDir, 'spool', (await segmentFiles(dataDir))[0] ?? '');
    await appendFile(first, frame(payloadOfFrame('torn', 100), Date.now()).subarray(0, 10));
    const view = await Spool.openReadOnly({ dataDir });
    expect(await readAll(view)).toEqual(labels('r', 15));
    expect(view.stats()).toMatchObject({ corruptions: 1, corruptBytes: 10 });
  });

  it("tolerates a segment the running agent's retention deleted after the listing, and notes it", async () => {
    const dataDir = await tempDataDir();
    // Ring mode, 800 bytes in segments of 200: two records of 100 bytes per segment.
    const live = await Spool.open(spoolOptions(dataDir, { maxBytes: 800, segmentBytes: 200, mode: 'ring' }));
    for (let i = 0; i < 3; i++) await live.append(records(`a${i}-`, 2));
    const listed = await segmentFiles(dataDir);
    const view = await Spool.openReadOnly({ dataDir });
    // Room for the new records is made by deleting the oldest segments.
    for (let i = 0; i < 2; i++) await live.append(records(`b${i}-`, 2));
    const left = await segmentFiles(dataDir);
    const gone = listed.filter((name) => !left.includes(name));
    expect(gone.length).toBeGreaterThan(0);
    const seen = await readAll(view);
    const stats = view.stats();
    expect(stats.missingSegments).toBe(gone.length);
    expect(stats.warnings.join('\n')).toContain(gone[0]);
    expect(stats.corruptions).toBe(0);
    // What was listed and still there is read; nothing appended after the listing is.
    expect(seen.length).toBe((listed.length - gone.length) * 2);
    expect(seen.at(-1)).toBe('a2-1');
    await live.close();
  });

  it('tolerates a segment that vanishes however it does', async () => {
    const dataDir = await tempDataDir();
    const live = await Spool.open(spoolOptions(dataDir, { segmentBytes: 200 }));
    await live.append(records('r', 6));
    await live.close();
    const view = await Spool.openReadOnly({ dataDir });
    await unlink(join(dataDir, 'spool', (await segmentFiles(dataDir))[1] ?? ''));
    expect(await readAll(view)).toEqual(['r0', 'r1', 'r4', 'r5']);
    expect(view.stats().missingSegments).toBe(1);
  });

  it('creates and changes nothing in the spool directory, live or stopped, and takes no lock', async () => {
    const dataDir = await tempDataDir();
    const live = await Spool.open(spoolOptions(dataDir, { segmentBytes: 1000, readers: ['es'] }));
    await live.append(records('r', 25));

    const whileLive = await snapshot(dataDir);
    const view = await Spool.openReadOnly({ dataDir });
    expect(await readAll(view)).toHaveLength(25);
    expect(await snapshot(dataDir)).toEqual(whileLive);
    await live.close();

    // Stopped, with damage and a torn tail that recovery would repair.
    const newest = join(dataDir, 'spool', (await segmentFiles(dataDir)).at(-1) ?? '');
    await appendFile(newest, frame(payloadOfFrame('torn', 100), Date.now()).subarray(0, 20));
    const stopped = await snapshot(dataDir);
    expect(Object.keys(stopped)).not.toContain('LOCK');
    const again = await Spool.openReadOnly({ dataDir });
    expect(await readAll(again)).toHaveLength(25);
    expect(await snapshot(dataDir)).toEqual(stopped);

    // An agent can take the spool while a view is open.
    const other = await Spool.openReadOnly({ dataDir });
    const agent = await Spool.open(spoolOptions(dataDir));
    expect(await readAll(other)).toHaveLength(25);
    await agent.close();
  });

  it('fails with SPOOL_IO when there is no spool', async () => {
    const dataDir = await tempDataDir();
    await expect(Spool.openReadOnly({ dataDir })).rejects.toMatchObject({ code: 'SHIPLOG_ERR_SPOOL_IO' });
  });
});
