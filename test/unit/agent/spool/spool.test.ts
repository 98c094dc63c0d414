import { afterEach, describe, expect, it } from 'vitest';
import { Spool } from '../../../../agent/spool/index.ts';
import {
  CountingTelemetry,
  payloadOfFrame,
  readAndAck,
  removeTempDirs,
  scanAll,
  segmentFiles,
  settled,
  spoolOptions,
  tempDataDir,
  text,
} from './spool-helpers.ts';

afterEach(removeTempDirs);

describe('spool: appending and reading', () => {
  it('gives back what was appended, strings and buffers alike, in order', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    const result = await spool.append(['first', Buffer.from('second'), '{"message":"ünïcode"}']);
    expect(result).toEqual({ accepted: 3, dropped: 0 });
    const batch = await spool.reader('es').read();
    expect(text(batch.records)).toEqual(['first', 'second', '{"message":"ünïcode"}']);
    expect(batch.records.map((record) => record.position.index)).toEqual([0, 1, 2]);
    await spool.reader('es').ack(batch.end);
    expect(spool.stats().readers.es).toMatchObject({ lagRecords: 0, lagBytes: 0 });
    await spool.close();
  });

  it('rolls to a new segment instead of splitting a record, and gives an oversized record its own segment', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { segmentBytes: 100, readers: ['es'] }));
    const small = Array.from({ length: 4 }, (_, i) => payloadOfFrame(`r${i}`, 60));
    await spool.append(small);
    await spool.append([payloadOfFrame('big', 250)]);
    await spool.append([payloadOfFrame('after', 60)]);
    expect(await segmentFiles(dataDir)).toHaveLength(6);
    const records = await readAndAck(spool.reader('es'), 6);
    expect(text(records).map((value) => value.replace(/\.+$/, ''))).toEqual(['r0', 'r1', 'r2', 'r3', 'big', 'after']);
    expect(new Set(records.map((record) => record.position.segment)).size).toBe(6);
    await spool.close();
  });

  it('keeps every acknowledged append across close and reopen, for each fsync policy', async () => {
    for (const fsync of ['always', 'interval', 'never'] as const) {
      const dataDir = await tempDataDir();
      const spool = await Spool.open(spoolOptions(dataDir, { fsync, segmentBytes: 4096 }));
      const appends = Array.from({ length: 20 }, (_, batch) =>
        spool.append(Array.from({ length: 10 }, (_, i) => `${fsync}-${batch * 10 + i}`)),
      );
      const results = await Promise.all(appends);
      expect(results.every((result) => result.accepted === 10)).toBe(true);
      await spool.close();
      const reopened = await Spool.open(spoolOptions(dataDir, { fsync }));
      expect(await scanAll(reopened)).toEqual(Array.from({ length: 200 }, (_, i) => `${fsync}-${i}`));
      expect(reopened.stats().dropped.spool_corrupt).toBe(0);
      await reopened.close();
    }
  });

  it('with fsync interval, acknowledges an append once written, without waiting for the flush tick', async () => {
    // A source awaits each append; waiting for an hourly tick would stall it.
    const dataDir = await tempDataDir();
    const spool = await Spool.open(
      spoolOptions(dataDir, { fsync: 'interval', fsyncIntervalMs: 3_600_000, readers: ['es'] }),
    );
    await expect(spool.append(['written'])).resolves.toEqual({ accepted: 1, dropped: 0 });
    expect(text((await spool.reader('es').read()).records)).toEqual(['written']);
    await spool.close();
    const reopened = await Spool.open(spoolOptions(dataDir));
    expect(await scanAll(reopened)).toEqual(['written']);
    await reopened.close();
  });

  it('reads a record larger than the read window whole (regression: 1 MiB docker lines read as damage)', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    const big = 'x'.repeat(3 * 1024 * 1024);
    await spool.append([big, 'after']);
    const reader = spool.reader('es');
    const first = await reader.read({ maxBytes: 16 * 1024 * 1024 });
    expect(first.records.map((record) => record.data.length)).toEqual([big.length]);
    const second = await reader.read({ maxBytes: 16 * 1024 * 1024 });
    expect(text(second.records)).toEqual(['after']);
    expect(spool.stats().dropped.spool_corrupt).toBe(0);
    expect(spool.stats().corruptBytes).toBe(0);
    await spool.close();
  });

  it('lets a reader wait for data and wakes it on append', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    const read = spool.reader('es').read();
    expect(await settled(read)).toBe(false);
    await spool.append(['hello']);
    expect(text((await read).records)).toEqual(['hello']);
    await spool.close();
  });

  it('stops a waiting read when its signal aborts', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    const controller = new AbortController();
    const read = spool.reader('es').read({ signal: controller.signal });
    controller.abort();
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
    await spool.append(['still works']);
    expect(text((await spool.reader('es').read()).records)).toEqual(['still works']);
    await spool.close();
  });

  it('bounds batches by record count and payload bytes', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    await spool.append(Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(100, '-')));
    const reader = spool.reader('es');
    expect((await reader.read({ maxRecords: 3 })).records).toHaveLength(3);
    expect((await reader.read({ maxBytes: 250 })).records).toHaveLength(2);
    expect((await reader.read({ maxBytes: 10 })).records).toHaveLength(1);
    await spool.close();
  });

  it('advances the saved cursor only over batches acknowledged in order', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    await spool.append(['a', 'b', 'c', 'd']);
    const reader = spool.reader('es');
    const first = await reader.read({ maxRecords: 2 });
    const second = await reader.read({ maxRecords: 2 });
    const secondAck = reader.ack(second.end);
    expect(await settled(secondAck)).toBe(false);
    expect(reader.position).toEqual({ segment: 0, offset: 0, index: 0 });
    await reader.ack(first.end);
    await secondAck;
    expect(reader.position).toEqual(second.end);
    await spool.close();

    const reopened = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    await reopened.append(['e']);
    expect(text((await reopened.reader('es').read()).records)).toEqual(['e']);
    await reopened.close();
  });

  it('resumes a reader after reopen at its acknowledged position, and re-reads what was not acknowledged', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    await spool.append(['1', '2', '3', '4', '5']);
    const reader = spool.reader('es');
    await reader.ack((await reader.read({ maxRecords: 2 })).end);
    await reader.read({ maxRecords: 2 });
    await spool.close();
    const reopened = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    expect(reopened.stats().readers.es?.lagRecords).toBe(3);
    expect(text((await reopened.reader('es').read()).records)).toEqual(['3', '4', '5']);
    await reopened.close();
  });

  it('scans the history by time window, whether delivered or not', async () => {
    const dataDir = await tempDataDir();
    let now = Date.parse('2026-01-10T00:00:00Z');
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'], segmentBytes: 64, now: () => now }));
    for (const label of ['a', 'b', 'c', 'd']) {
      await spool.append([label]);
      now += 10_000;
    }
    await readAndAck(spool.reader('es'), 2);
    const window = { since: new Date('2026-01-10T00:00:05Z'), until: new Date('2026-01-10T00:00:25Z') };
    expect(await scanAll(spool, window)).toEqual(['b', 'c']);
    expect(await scanAll(spool)).toEqual(['a', 'b', 'c', 'd']);
    const times = [];
    for await (const record of spool.scan()) times.push(record.time);
    expect(times).toEqual([0, 10_000, 20_000, 30_000].map((offset) => Date.parse('2026-01-10T00:00:00Z') + offset));
    await spool.close();
  });

  it('reports its state in stats and gauges', async () => {
    const dataDir = await tempDataDir();
    const telemetry = new CountingTelemetry();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'], telemetry }));
    await spool.append(['x', 'y']);
    const stats = spool.stats();
    expect(stats).toMatchObject({ segments: 1, records: 2, blocked: false, waitingAppends: 0, mode: 'queue' });
    expect(stats.bytes).toBe(2 * 17);
    expect(stats.readers.es).toMatchObject({ lagRecords: 2, lagBytes: 34 });
    expect(stats.oldest).toBeLessThanOrEqual(stats.newest as number);
    expect(telemetry.received).toBe(2);
    expect(telemetry.gauges.get('bytes')).toBe(34);
    await spool.close();
  });

  it('closes idempotently and refuses appends afterwards', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir));
    await Promise.all([spool.close(), spool.close()]);
    await spool.close();
    await expect(spool.append(['late'])).rejects.toMatchObject({ code: 'SHIPLOG_ERR_SPOOL_CLOSED' });
  });
});

describe('spool: reader misuse and rewinding', () => {
  it('refuses to acknowledge records not read yet, and re-reads unacknowledged batches after rewind', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    await spool.append(['a', 'b', 'c']);
    const reader = spool.reader('es');
    const first = await reader.read({ maxRecords: 1 });
    await expect(reader.ack({ ...first.end, offset: first.end.offset + 1000 })).rejects.toThrow(RangeError);
    await reader.read({ maxRecords: 1 });
    reader.rewind();
    expect(text((await reader.read()).records)).toEqual(['a', 'b', 'c']);
    expect(() => spool.reader('unknown')).toThrow(TypeError);
    await spool.close();
  });
});
