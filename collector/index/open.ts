// Opens the index the configuration names: SQLite under the data directory
// by default, Elasticsearch when `index.backend` is elasticsearch (which
// SHIPLOG_COLLECTOR_ELASTICSEARCH_URL sets, with the URL: collector/config.ts).
// Each backend loads only when used.
import { CodedError } from '../../core/coded-error.ts';
import type { CollectorConfig, CollectorSetup } from '../config.ts';
import { collectorErrors } from '../errors.ts';
import type { ElasticsearchSettings } from './elasticsearch/cluster.ts';
import type { Index } from './types.ts';

export const DEFAULT_INDEX_PREFIX = 'shiplog-bundles';

export type IndexChoice =
  | { readonly backend: 'sqlite' }
  | { readonly backend: 'elasticsearch'; readonly settings: ElasticsearchSettings };

/** Which backend, with which settings, as the configuration says. */
export function chooseIndex(config: Readonly<CollectorConfig>): IndexChoice {
  if (config.index?.backend !== 'elasticsearch') return { backend: 'sqlite' };
  const configured = config.index.elasticsearch;
  const url = configured?.url;
  if (url === undefined || (Array.isArray(url) && url.length === 0)) {
    throw new CodedError(collectorErrors.CONFIG_INVALID, {
      source: 'index.elasticsearch',
      detail:
        'index.backend is elasticsearch but no URL is set: set index.elasticsearch.url or SHIPLOG_COLLECTOR_ELASTICSEARCH_URL',
      problems: [],
    });
  }
  return {
    backend: 'elasticsearch',
    settings: {
      url,
      index_prefix: configured?.index_prefix ?? DEFAULT_INDEX_PREFIX,
      ...(configured?.username !== undefined && { username: configured.username }),
      ...(configured?.password !== undefined && { password: configured.password }),
      ...(configured?.api_key !== undefined && { api_key: configured.api_key }),
    },
  };
}

export async function openIndex(setup: CollectorSetup): Promise<Index> {
  const choice = chooseIndex(setup.config);
  if (choice.backend === 'elasticsearch') {
    const { ElasticsearchIndex } = await import('./elasticsearch/index.ts');
    // Bulk bodies a writer cannot hold in memory wait in the data directory, not in a small /tmp.
    return new ElasticsearchIndex(choice.settings, { spillDir: setup.dataDir });
  }
  const { SqliteIndex } = await import('./sqlite/index.ts');
  return new SqliteIndex(setup.paths.index);
}
