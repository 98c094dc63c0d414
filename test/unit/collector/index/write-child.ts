// A separate process writing one bundle, for the tests of two writers at
// once and of a writer killed mid-write:
//
//   node write-child.ts <index dir> <tenant> <bundle> <events> <batch rows> <commit|hold> [prefix]
//
// It prints "added <n>" after each add() and "committed" after commit();
// with "hold" it prints "holding" once everything is added (and flushed)
// and then waits to be killed.
import { SqliteIndex } from '../../../../collector/index/sqlite/index.ts';
import type { IndexedEvent } from '../../../../collector/index/types.ts';

const [dir, tenant, bundle, countText, batchText, mode, prefix = 'child'] = process.argv.slice(2) as string[];
const count = Number(countText);
const index = new SqliteIndex(dir as string, { batchRows: Number(batchText) });
const writer = await index.writer(tenant as string, bundle as string);
const start = Date.UTC(2026, 2, 1, 10);
const file = `containers/${prefix}/container.log`;
for (let done = 0; done < count; ) {
  const batch: IndexedEvent[] = [];
  for (let i = 0; i < 100 && done < count; i++, done++) {
    batch.push({
      '@timestamp': new Date(start + done * 10).toISOString(),
      message: `${prefix} event ${done + 1}`,
      event: { dataset: 'docker.container_logs' },
      host: { name: 'node01' },
      log: { level: done % 10 === 0 ? 'error' : 'info', stream: 'stdout', file: { path: file, line: done + 1 } },
      container: { id: 'c0ffee', name: prefix },
      shiplog: { tenant: tenant as string, bundle: bundle as string, source: 'container', file, line: done + 1 },
    });
  }
  writer.add(batch);
  process.stdout.write(`added ${done}\n`);
  // Let the builder thread and the other writers run.
  await new Promise((resolve) => setImmediate(resolve));
}
if (mode === 'hold') {
  process.stdout.write('holding\n');
  setInterval(() => {}, 1000);
} else {
  await writer.commit();
  await index.close();
  process.stdout.write('committed\n');
}
