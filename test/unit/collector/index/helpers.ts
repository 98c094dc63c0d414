// Shared by the index tests: an index in a temporary data directory, events
// made to order, and writing whole bundles.
import { join } from 'node:path';
import { collectorPaths } from '../../../../collector/data-dir.ts';
import { SqliteIndex, type SqliteIndexOptions } from '../../../../collector/index/sqlite/index.ts';
import type { IndexedEvent, SearchHit, SearchRequest } from '../../../../collector/index/types.ts';
import { tempDir } from '../../../helpers/temp.ts';

export function indexDir(): string {
  return collectorPaths(tempDir('shiplog-index-')).index;
}

export function openIndex(dir = indexDir(), options: SqliteIndexOptions = {}): SqliteIndex {
  return new SqliteIndex(dir, options);
}

export interface EventSpec {
  readonly tenant?: string;
  readonly bundle?: string;
  readonly time?: string;
  readonly message?: string;
  readonly file?: string;
  readonly line?: number;
  readonly level?: string;
  readonly container?: string;
}

/** A container event with sensible defaults. */
export function event(spec: EventSpec = {}): IndexedEvent {
  const file = spec.file ?? 'containers/app/container.log';
  const line = spec.line ?? 1;
  return {
    '@timestamp': spec.time ?? '2026-03-01T10:00:00Z',
    message: spec.message ?? `line ${line}`,
    event: { dataset: 'docker.container_logs' },
    host: { name: 'node01' },
    log: { level: spec.level ?? 'info', stream: 'stdout', file: { path: file, line } },
    container: { id: 'c0ffee', name: spec.container ?? 'app' },
    shiplog: { tenant: spec.tenant ?? 'acme', bundle: spec.bundle ?? 'b1', source: 'container', file, line },
  };
}

/** `count` events of one file, a second apart from `start`, with messages "<prefix> <n>". */
export function fileEvents(
  count: number,
  spec: EventSpec & { readonly start?: number; readonly prefix?: string } = {},
): IndexedEvent[] {
  const start = spec.start ?? Date.UTC(2026, 2, 1, 10);
  return Array.from({ length: count }, (_, i) =>
    event({
      ...spec,
      line: i + 1,
      time: new Date(start + i * 1000).toISOString(),
      message: `${spec.prefix ?? 'line'} ${i + 1}`,
    }),
  );
}

export async function writeBundle(
  index: SqliteIndex,
  tenant: string,
  bundle: string,
  events: readonly IndexedEvent[],
): Promise<void> {
  const writer = await index.writer(tenant, bundle);
  writer.add(events);
  await writer.commit();
}

/** Every hit of a search, page by page, checking on the way that each page agrees on the total. */
export async function allPages(
  index: SqliteIndex,
  request: Omit<SearchRequest, 'cursor'>,
): Promise<{ total: number; hits: SearchHit[]; pages: number }> {
  const hits: SearchHit[] = [];
  let result = await index.search(request);
  const total = result.total;
  let pages = 1;
  hits.push(...result.hits);
  while (result.next) {
    result = await index.search({ ...request, cursor: result.next });
    if (result.total !== total) throw new Error(`page ${pages + 1} says total ${result.total}, the first ${total}`);
    hits.push(...result.hits);
    pages++;
    if (pages > 100_000) throw new Error('paging does not end');
  }
  return { total, hits, pages };
}

export function messages(hits: readonly { readonly event: IndexedEvent }[]): string[] {
  return hits.map((hit) => hit.event.message);
}

export { join };
