// The collector under the two stresses a vendor's portal meets: a crash in
// the middle of an ingest (the job is finished after a restart, and no
// search ever sees part of a bundle), and many big uploads at once (all
// indexed, memory bounded because bodies stream to disk).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { api, startCollector, waitForBundle } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp.ts';
import { buildBundle } from '../unit/agent/bundle/seal/make-bundle.ts';

/** Peak resident memory of a process, in MB (VmHWM). */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

describe('a collector killed with SIGKILL in the middle of an ingest', () => {
  it('finishes the job after a restart, and a search never sees part of the bundle', async () => {
    const lines = 600_000;
    const log = Buffer.alloc(lines * 96);
    let at = 0;
    for (let i = 0; i < lines; i++) {
      const text = `2024-03-14T10:${String(Math.floor(i / 10_000) % 60).padStart(2, '0')}:00.${String(i).padStart(9, '0')}Z stdout CRASHMARK request ${i} served\n`;
      at += log.write(text, at);
    }
    const built = await buildBundle(tempDir('shiplog-crash-bundle-'), {
      compression: 'zstd',
      extra: { 'containers/api/container.log': log.subarray(0, at) },
    });
    const dataDir = tempDir('shiplog-crash-collector-');
    const first = await startCollector({ dataDir });
    const upload = await first.token('acme', 'upload');
    const read = await first.token('acme', 'read');
    const answer = await api(first, upload, '/api/v1/bundles', {
      method: 'POST',
      body: readFileSync(built.path),
      headers: { 'content-type': 'application/octet-stream' },
    });
    const id = answer.body.id as string;
    // Kill it while it writes the index.
    for (;;) {
      const state = (await api(first, read, `/api/v1/bundles/${id}`)).body.status;
      if (state === 'indexing') break;
      expect(state, 'the ingest ended before the test could kill it').not.toBe('indexed');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.stop('SIGKILL');

    const second = await startCollector({ dataDir });
    const seen = new Set<number>();
    for (;;) {
      const search = await api(second, read, '/api/v1/search?q=CRASHMARK&limit=1');
      seen.add(search.body.total as number);
      const state = (await api(second, read, `/api/v1/bundles/${id}`)).body.status;
      if (state === 'indexed' || state === 'rejected') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await waitForBundle(second, read, id)).status).toBe('indexed');
    const final = await api(second, read, '/api/v1/search?q=CRASHMARK&limit=1');
    expect(final.body.total).toBe(lines);
    // Every count a reader saw was none or all of it.
    for (const total of seen) expect([0, lines]).toContain(total);
    await second.stop();
  }, 240_000);
});

describe('20 uploads of 50 MB bundles at once', () => {
  it('indexes every one, and the server holds none of them in memory', async () => {
    const dir = tempDir('shiplog-load-bundles-');
    // Incompressible filler with lines but no ASCII letter or digit: random bytes would now and then spell a
    // "pw=..." that the collector's secret scan rightly refuses, and this test is about memory, not secrets.
    const big = randomBytes(50 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) {
      const byte = big[i] as number;
      if ((byte & 0x7f) >= 0x30) big[i] = byte | 0x80;
    }
    const paths: string[] = [];
    for (let i = 0; i < 20; i++) {
      const built = await buildBundle(dir, {
        name: `bundle-${i}.tar.zst`,
        compression: 'zstd',
        dataDir: `${dir}/data`,
        extra: {
          'host/core.bin': big,
          'containers/api/container.log': Buffer.from(`2024-03-14T10:00:00Z stdout LOADMARK bundle ${i}\n`),
        },
      });
      paths.push(built.path);
    }
    const collector = await startCollector();
    const upload = await collector.token('acme', 'upload');
    const read = await collector.token('acme', 'read');
    const answers = await Promise.all(
      paths.map(async (path) => {
        const answer = await api(collector, upload, '/api/v1/bundles', {
          method: 'POST',
          body: readFileSync(path),
          headers: { 'content-type': 'application/octet-stream' },
        });
        expect(answer.status).toBe(201);
        return answer.body.id as string;
      }),
    );
    expect(new Set(answers).size).toBe(20);
    for (const id of answers) expect((await waitForBundle(collector, read, id, 180_000)).status).toBe('indexed');
    const search = await api(collector, read, '/api/v1/search?q=LOADMARK');
    expect(search.body.total).toBe(20);
    const peak = peakRssMb(collector.process.pid as number);
    // 1 GB arrived; a server that buffered bodies would hold hundreds of MB of it.
    expect(peak).toBeLessThan(400);
    await collector.stop();
  }, 300_000);
});
