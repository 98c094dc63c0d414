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
  waitUntil,
} from './spool-helpers.ts';

afterEach(removeTempDirs);

const HOUR = 3_600_000;
// A spool of 800 bytes in segments of 200: records of 100 bytes, two per segment.
const small = { maxBytes: 800, segmentBytes: 200 };
const records = (label: string, count: number) =>
  Array.from({ length: count }, (_, i) => payloadOfFrame(`${label}${i}`, 100));

describe('spool: what is freed, and when', () => {
  it('frees a segment only when every reader acknowledged it and the history window has passed', async () => {
    const dataDir = await tempDataDir();
    let now = Date.parse('2026-03-01T00:00:00Z');
    const spool = await Spool.open(
      spoolOptions(dataDir, { readers: ['es', 'siem'], historyMs: HOUR, segmentBytes: 200, now: () => now }),
    );
    await spool.append(records('r', 5));
    expect(await segmentFiles(dataDir)).toHaveLength(3);

    await readAndAck(spool.reader('es'), 5);
    now += 2 * HOUR;
    await spool.enforceRetention();
    expect(await segmentFiles(dataDir)).toHaveLength(3);

    now -= 2 * HOUR;
    await readAndAck(spool.reader('siem'), 5);
    await spool.enforceRetention();
    expect(await segmentFiles(dataDir)).toHaveLength(3);

    now += 2 * HOUR;
    await spool.enforceRetention();
    expect(await segmentFiles(dataDir)).toEqual([]);
    expect(spool.stats()).toMatchObject({ segments: 0, bytes: 0, records: 0 });

    await spool.append(['after']);
    expect(text(await readAndAck(spool.reader('es'), 1))).toEqual(['after']);
    await spool.close();
  });

  it('holds an append while the spool is full and completes it once an acknowledgement frees room', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { ...small, readers: ['es'], historyMs: HOUR }));
    await spool.append(records('r', 8));
    const blocked = spool.append(records('late', 1));
    await waitUntil(() => spool.stats().blocked);
    expect(await settled(blocked)).toBe(false);
    expect(spool.stats().waitingAppends).toBe(1);

    await readAndAck(spool.reader('es'), 2);
    await expect(blocked).resolves.toEqual({ accepted: 1, dropped: 0 });
    const stats = spool.stats();
    expect(stats.blocked).toBe(false);
    expect(stats.bytes).toBeLessThanOrEqual(800);
    // Delivered history gave way to undelivered data.
    expect(stats.historyEvicted).toBe(2);
    expect(await scanAll(spool)).toHaveLength(7);
    await spool.close();
  });

  it('cancels a waiting append when its signal aborts, and carries on', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { ...small, readers: ['es'] }));
    await spool.append(records('r', 8));
    const controller = new AbortController();
    const blocked = spool.append(records('late', 1), { signal: controller.signal });
    await waitUntil(() => spool.stats().blocked);
    controller.abort();
    await expect(blocked).rejects.toMatchObject({ name: 'AbortError' });
    expect(spool.stats()).toMatchObject({ waitingAppends: 0, records: 8 });
    await readAndAck(spool.reader('es'), 2);
    await expect(spool.append(records('next', 1))).resolves.toEqual({ accepted: 1, dropped: 0 });
    await spool.close();
  });

  it('rejects appends still waiting when the spool closes', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { ...small, readers: ['es'] }));
    await spool.append(records('r', 8));
    const blocked = spool.append(records('late', 1));
    await waitUntil(() => spool.stats().blocked);
    const outcome = expect(blocked).rejects.toMatchObject({ code: 'SHIPLOG_ERR_SPOOL_CLOSED' });
    await spool.close();
    await outcome;
  });

  it('drops the newest records, counted, for appends that must not wait', async () => {
    const dataDir = await tempDataDir();
    const telemetry = new CountingTelemetry();
    const spool = await Spool.open(spoolOptions(dataDir, { ...small, readers: ['es'], telemetry }));
    await spool.append(records('r', 7));
    const partly = await spool.append(records('udp', 3), { whenFull: 'drop_newest' });
    expect(partly).toEqual({ accepted: 1, dropped: 2 });

    const waiting = spool.append(records('file', 1));
    await waitUntil(() => spool.stats().blocked);
    expect(await spool.append(records('udp', 4), { whenFull: 'drop_newest' })).toEqual({ accepted: 0, dropped: 4 });
    expect(telemetry.dropped.get('spool_full')).toBe(6);
    expect(spool.stats().dropped.spool_full).toBe(6);

    await readAndAck(spool.reader('es'), 2);
    await expect(waiting).resolves.toEqual({ accepted: 1, dropped: 0 });
    await spool.close();
  });

  it('in ring mode deletes the oldest segments to make room, and counts them', async () => {
    const dataDir = await tempDataDir();
    const telemetry = new CountingTelemetry();
    const spool = await Spool.open(spoolOptions(dataDir, { ...small, mode: 'ring', telemetry }));
    for (let i = 0; i < 25; i++) await spool.append(records(`b${i}-`, 2));
    const kept = await scanAll(spool);
    const dropped = telemetry.dropped.get('spool_full:intentional') ?? 0;
    expect(kept.length + dropped).toBe(50);
    expect(dropped).toBeGreaterThan(0);
    expect(kept.at(-1)).toMatch(/^b24-1/);
    expect(spool.stats().bytes).toBeLessThanOrEqual(800);
    expect(spool.stats().blocked).toBe(false);
    await spool.close();
  });

  it('drops undelivered records older than max_age, counted as spool_expired', async () => {
    const dataDir = await tempDataDir();
    const telemetry = new CountingTelemetry();
    let now = Date.parse('2026-03-01T00:00:00Z');
    const spool = await Spool.open(
      spoolOptions(dataDir, { readers: ['es'], maxAgeMs: HOUR, segmentBytes: 200, telemetry, now: () => now }),
    );
    await spool.append(records('old', 4));
    now += 2 * HOUR;
    await spool.append(records('new', 1));
    await spool.enforceRetention();
    expect(telemetry.dropped.get('spool_expired')).toBe(4);
    expect(spool.stats()).toMatchObject({ records: 1, dropped: { spool_expired: 4 } });
    expect(spool.stats().readers.es?.lagRecords).toBe(1);
    expect(text(await readAndAck(spool.reader('es'), 1))).toEqual([payloadOfFrame('new0', 100)]);
    await spool.close();
  });

  it('expires records of the segment still being written to when they are too old', async () => {
    const dataDir = await tempDataDir();
    const telemetry = new CountingTelemetry();
    let now = Date.parse('2026-03-01T00:00:00Z');
    const spool = await Spool.open(
      spoolOptions(dataDir, { readers: ['es'], maxAgeMs: HOUR, telemetry, now: () => now }),
    );
    const reader = spool.reader('es');
    await spool.append(['a', 'b']);
    const inFlight = await reader.read();
    now += 2 * HOUR;
    await spool.enforceRetention();
    expect(telemetry.dropped.get('spool_expired')).toBe(2);
    const read = reader.read();
    expect(await settled(read)).toBe(false);
    await spool.append(['c']);
    expect(text((await read).records)).toEqual(['c']);
    // The late acknowledgement of the expired batch is harmless.
    await reader.ack(inFlight.end);
    expect(reader.position.segment).toBeGreaterThan(inFlight.end.segment);
    await spool.close();
  });

  it('drops a record too large for the whole spool, counted as oversize, and keeps the rest of its batch', async () => {
    const dataDir = await tempDataDir();
    const telemetry = new CountingTelemetry();
    const spool = await Spool.open(spoolOptions(dataDir, { ...small, readers: ['es'], telemetry }));
    const result = await spool.append(['before', 'x'.repeat(900), 'after']);
    expect(result).toEqual({ accepted: 2, dropped: 1 });
    expect(telemetry.dropped.get('oversize')).toBe(1);
    expect(text(await readAndAck(spool.reader('es'), 2))).toEqual(['before', 'after']);
    await spool.close();
  });
});
