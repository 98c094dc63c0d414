import { afterEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../../agent/pipeline/types.ts';
import {
  decodeEvent,
  Spool,
  SpoolEventWriter,
  scanEvents,
  spoolOptionsFromConfig,
} from '../../../../agent/spool/index.ts';
import { removeTempDirs, spoolOptions, tempDataDir } from './spool-helpers.ts';

afterEach(removeTempDirs);

function event(message: string): LogEvent {
  return {
    '@timestamp': '2026-03-01T12:00:00.123456789Z',
    message,
    event: { dataset: 'system.syslog' },
    host: { name: 'bank-host-1' },
  } as LogEvent;
}

describe('spool: the typed layer for LogEvents', () => {
  it('writes events through the EventWriter contract and reads them back as events', async () => {
    const dataDir = await tempDataDir();
    const spool = await Spool.open(spoolOptions(dataDir, { readers: ['es'] }));
    const writer = new SpoolEventWriter(spool);
    await writer.write([event('one'), event('two')]);
    const batch = await spool.reader('es').read();
    expect(batch.records.map((record) => decodeEvent(record)?.message)).toEqual(['one', 'two']);
    const scanned = [];
    for await (const { event: found } of scanEvents(spool)) scanned.push(found.message);
    expect(scanned).toEqual(['one', 'two']);
    await spool.append(['not json']);
    const [raw] = (await spool.reader('es').read()).records;
    expect(raw && decodeEvent(raw)).toBeUndefined();
    await spool.close();
  });

  it('turns the config section into spool options', () => {
    expect(
      spoolOptionsFromConfig(
        {
          max_bytes: '1GiB',
          segment_bytes: '64MiB',
          max_age: '7d',
          history: '3d',
          fsync: 'interval',
          fsync_interval: '500ms',
        },
        '/var/lib/shiplog',
      ),
    ).toEqual({
      dataDir: '/var/lib/shiplog',
      maxBytes: 1024 ** 3,
      segmentBytes: 64 * 1024 ** 2,
      maxAgeMs: 7 * 86_400_000,
      historyMs: 3 * 86_400_000,
      fsync: 'interval',
      fsyncIntervalMs: 500,
    });
  });
});
