import { appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../../../../agent/spool/index.ts';
import {
  CountingTelemetry,
  readAndAck,
  removeTempDirs,
  scanAll,
  segmentFiles,
  spoolOptions,
  tempDataDir,
  text,
} from './spool-helpers.ts';

afterEach(removeTempDirs);

const labels = Array.from({ length: 10 }, (_, i) => `record-${i}`.padEnd(40, '#'));

/** A closed spool holding `labels` in one segment; returns that segment's path. */
async function spoolWithTen(dataDir: string, segmentBytes = 1 << 20): Promise<string[]> {
  const spool = await Spool.open(spoolOptions(dataDir, { segmentBytes }));
  for (const label of labels) await spool.append([label]);
  await spool.close();
  return (await segmentFiles(dataDir)).map((name) => join(dataDir, 'spool', name));
}

async function reopenAndCheck(dataDir: string) {
  const telemetry = new CountingTelemetry();
  const spool = await Spool.open(spoolOptions(dataDir, { telemetry, readers: ['es'] }));
  return { spool, telemetry, kept: await scanAll(spool) };
}

/** New appends work after recovery, and a second reopen finds no further damage. */
async function expectHealthyAfter(spool: Spool, dataDir: string, expected: string[]): Promise<void> {
  await spool.append(['fresh']);
  await spool.close();
  const again = await Spool.open(spoolOptions(dataDir));
  expect(await scanAll(again)).toEqual([...expected, 'fresh']);
  expect(again.stats().dropped.spool_corrupt).toBe(0);
  await again.close();
}

describe('spool: recovery after a crash or a power cut', () => {
  it('cuts a torn tail (the newest segment ends mid-record) and keeps every whole record', async () => {
    const dataDir = await tempDataDir();
    const [segment] = await spoolWithTen(dataDir);
    const size = (await stat(segment as string)).size;
    await truncate(segment as string, size - 5);
    const { spool, telemetry, kept } = await reopenAndCheck(dataDir);
    expect(kept).toEqual(labels.slice(0, 9));
    expect(telemetry.dropped.get('spool_corrupt')).toBe(1);
    expect(spool.stats().corruptBytes).toBe(size - 5 - (size / 10) * 9);
    expect(spool.stats().warnings.join('\n')).toMatch(/damaged/);
    expect((await stat(segment as string)).size).toBe((size / 10) * 9);
    await expectHealthyAfter(spool, dataDir, labels.slice(0, 9));
  });

  it('skips a record whose payload has a flipped byte and keeps the intact records after it', async () => {
    const dataDir = await tempDataDir();
    const [segment] = await spoolWithTen(dataDir);
    const bytes = await readFile(segment as string);
    const recordBytes = bytes.length / 10;
    const target = 4 * recordBytes + 30;
    bytes[target] = (bytes[target] as number) ^ 0x40;
    await writeFile(segment as string, bytes);
    const { spool, telemetry, kept } = await reopenAndCheck(dataDir);
    expect(kept).toEqual(labels.filter((_, i) => i !== 4));
    expect(telemetry.dropped.get('spool_corrupt')).toBe(1);
    expect(spool.stats().corruptBytes).toBe(recordBytes);
    // The reader steps over the damaged place too.
    expect(text(await readAndAck(spool.reader('es'), 9))).toEqual(kept);
    await expectHealthyAfter(spool, dataDir, kept);
  });

  it('cuts garbage appended after the last record', async () => {
    const dataDir = await tempDataDir();
    const [segment] = await spoolWithTen(dataDir);
    const size = (await stat(segment as string)).size;
    await appendFile(
      segment as string,
      Buffer.from('\u0000\u0001garbage that is not a frame at all, plus more'.repeat(20)),
    );
    const { spool, telemetry, kept } = await reopenAndCheck(dataDir);
    expect(kept).toEqual(labels);
    expect(telemetry.dropped.get('spool_corrupt')).toBe(1);
    expect((await stat(segment as string)).size).toBe(size);
    await expectHealthyAfter(spool, dataDir, labels);
  });

  it('skips damage in the middle of an older segment and reads on into the next ones', async () => {
    const dataDir = await tempDataDir();
    const segments = await spoolWithTen(dataDir, 200);
    expect(segments.length).toBeGreaterThan(2);
    const first = segments[0] as string;
    const bytes = await readFile(first);
    bytes.fill(0xff, 10, 20);
    await writeFile(first, bytes);
    const { spool, telemetry, kept } = await reopenAndCheck(dataDir);
    expect(telemetry.dropped.get('spool_corrupt')).toBe(1);
    expect(kept.length).toBeLessThan(10);
    expect(kept).toEqual(labels.slice(10 - kept.length));
    expect(text(await readAndAck(spool.reader('es'), kept.length))).toEqual(kept);
    expect(spool.stats().readers.es?.lagRecords).toBe(0);
    await expectHealthyAfter(spool, dataDir, kept);
  });

  it('ignores unknown files, counted, and removes empty segments left by a crash', async () => {
    const dataDir = await tempDataDir();
    await spoolWithTen(dataDir);
    const dir = join(dataDir, 'spool');
    await writeFile(join(dir, 'notes.txt'), 'left by an operator');
    await writeFile(join(dir, '12.seg'), 'not a segment name');
    await writeFile(join(dir, '000000000099.seg'), '');
    const { spool, kept } = await reopenAndCheck(dataDir);
    expect(kept).toEqual(labels);
    expect(spool.stats()).toMatchObject({ ignoredFiles: 2, dropped: { spool_corrupt: 0 } });
    expect(await segmentFiles(dataDir)).not.toContain('000000000099.seg');
    // Segment ids keep growing past the highest one ever seen.
    await spool.append(['next']);
    expect((await segmentFiles(dataDir)).at(-1)).toBe('000000000100.seg');
    await spool.close();
  });

  it('survives a cursor file that is not JSON by reading from the oldest record, with a warning', async () => {
    const dataDir = await tempDataDir();
    await spoolWithTen(dataDir);
    await writeFile(join(dataDir, 'spool', 'cursors', 'es.json'), '{"segment": 1, "off');
    const { spool } = await reopenAndCheck(dataDir);
    expect(spool.stats().warnings.join('\n')).toMatch(/es\.json/);
    expect(text(await readAndAck(spool.reader('es'), 10))).toEqual(labels);
    await spool.close();
  });

  it('snaps a cursor that points inside a record back to that record, so nothing is skipped', async () => {
    const dataDir = await tempDataDir();
    const [segment] = await spoolWithTen(dataDir);
    const recordBytes = (await stat(segment as string)).size / 10;
    const cursor = { segment: 1, offset: 3 * recordBytes + 7, index: 99 };
    await writeFile(join(dataDir, 'spool', 'cursors', 'es.json'), JSON.stringify(cursor));
    const { spool } = await reopenAndCheck(dataDir);
    expect(spool.stats().readers.es).toMatchObject({ lagRecords: 7, position: { offset: 3 * recordBytes, index: 3 } });
    expect(text(await readAndAck(spool.reader('es'), 7))).toEqual(labels.slice(3));
    await spool.close();
  });
});
