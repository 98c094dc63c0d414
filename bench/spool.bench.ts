// `npm run bench -- spool`: 1,000,000 records of about 300 bytes appended to
// the spool (fsync interval) while a reader reads and acknowledges them, as
// the agent does with Elasticsearch up. Beside it, the floor: the same bytes
// written to one NDJSON file with the same fsync cadence and read back, with
// no framing, checksums, cursors or retention.
//
// Each subject runs as its own process under /usr/bin/time (this file, with
// --child), so CPU seconds and peak RSS are the subject's alone.
import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Spool } from '../agent/spool/index.ts';
import { type BenchSuite, measureProcess, row } from './harness.ts';

const BATCH = 1000;
const IN_FLIGHT = 8;
const FSYNC_INTERVAL_MS = 500;

/** Realistic ~300-byte event JSON; a fixed rotation, so generating costs nothing. */
function records(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      '@timestamp': `2026-03-01T12:00:${String(i % 60).padStart(2, '0')}.123456789Z`,
      message: `request ${i} completed status=200 duration=${i % 997}ms path=/api/v2/accounts/${i}/statements`,
      event: { dataset: 'docker.container_logs' },
      host: { name: 'node01.dc2.bank.internal' },
      container: { id: 'f'.repeat(64).slice(i % 7), name: 'ledger-api' },
      log: { stream: 'stdout' },
    }),
  );
}

async function runSpool(dir: string, total: number): Promise<number> {
  const spool = await Spool.open({
    dataDir: dir,
    maxBytes: 1 << 30,
    segmentBytes: 64 << 20,
    maxAgeMs: 86_400_000,
    historyMs: 0,
    fsync: 'interval',
    fsyncIntervalMs: FSYNC_INTERVAL_MS,
    readers: ['bench'],
  });
  const pool = records(BATCH);
  const produce = async (worker: number) => {
    for (let sent = worker * BATCH; sent < total; sent += IN_FLIGHT * BATCH) {
      await spool.append(pool.slice(0, Math.min(BATCH, total - sent)));
    }
  };
  const consume = async () => {
    const reader = spool.reader('bench');
    let received = 0;
    let bytes = 0;
    let ack: Promise<void> = Promise.resolve();
    while (received < total) {
      const batch = await reader.read({ maxRecords: 4 * BATCH });
      received += batch.records.length;
      bytes += batch.bytes;
      ack = reader.ack(batch.end);
    }
    await ack;
    return bytes;
  };
  const [bytes] = await Promise.all([consume(), ...Array.from({ length: IN_FLIGHT }, (_, w) => produce(w))]);
  await spool.close();
  return bytes;
}

async function runFloor(dir: string, total: number): Promise<number> {
  const path = join(dir, 'floor.ndjson');
  const handle = await open(path, 'w');
  const pool = records(BATCH);
  let lastSync = Date.now();
  for (let sent = 0; sent < total; sent += BATCH) {
    await handle.write(`${pool.slice(0, Math.min(BATCH, total - sent)).join('\n')}\n`);
    if (Date.now() - lastSync >= FSYNC_INTERVAL_MS) {
      await handle.datasync();
      lastSync = Date.now();
    }
  }
  await handle.datasync();
  await handle.close();
  let bytes = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY })) {
    bytes += Buffer.byteLength(line);
  }
  return bytes;
}

const suite: BenchSuite = {
  name: 'spool append + read + ack',
  async run(ctx) {
    const total = ctx.quick ? 100_000 : 1_000_000;
    const rows = [];
    for (const subject of ['spool', 'floor'] as const) {
      const dir = join(ctx.workDir, subject);
      await mkdir(dir, { recursive: true });
      const out = join(ctx.workDir, `${subject}.out`);
      const measure = await measureProcess(
        process.execPath,
        [import.meta.filename, '--child', subject, dir, `${total}`],
        {
          stdoutFile: out,
        },
      );
      const { readFile } = await import('node:fs/promises');
      const bytes = Number((await readFile(out, 'utf8')).trim());
      const mb = bytes / 1e6;
      rows.push(
        row('spool', subject === 'spool' ? 'shiplog spool' : 'floor: ndjson write+read', total, 'records', measure, {
          note: `${(mb / measure.wall_s).toFixed(1)} MB/s payload${measure.exit_code === 0 ? '' : `, exit ${measure.exit_code}`}`,
        }),
      );
    }
    return rows;
  },
};

export default suite;

if (import.meta.main && process.argv[2] === '--child') {
  const [, , , subject, dir, count] = process.argv;
  const run = subject === 'spool' ? runSpool : runFloor;
  const bytes = await run(dir as string, Number(count));
  process.stdout.write(`${bytes}\n`);
}
