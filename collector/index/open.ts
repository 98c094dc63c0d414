// Opens the index the configuration names: SQLite under the data directory
// by default, Elasticsearch when `index.backend` is elasticsearch or
// SHIPLOG_COLLECTOR_ELASTICSEARCH_URL is set. Each backend loads only when used.
//
// The variable is a shorthand the configuration loader cannot express (it
// maps SHIPLOG_COLLECTOR_INDEX_ELASTICSEARCH_URL to index.elasticsearch.url,
// and then every other elasticsearch setting must come along): here it
// sets the URL (comma-separated for several nodes) and switches the backend,
// keeping the other elasticsearch settings of the configuration.
import { CodedError } from '../../core/coded-error.ts';
import type { CollectorConfig, CollectorSetup } from '../config.ts';
import { collectorErrors } from '../errors.ts';
import type { ElasticsearchSettings } from './elasticsearch/cluster.ts';
import type { Index } from './types.ts';

export const ELASTICSEARCH_URL_VARIABLE = 'SHIPLOG_COLLECTOR_ELASTICSEARCH_URL';
export const DEFAULT_INDEX_PREFIX = 'shiplog-bundles';

export type IndexChoice =
  | { readonly backend: 'sqlite' }
  | { readonly backend: 'elasticsearch'; readonly settings: ElasticsearchSettings };

/** Which backend, with which settings: the configuration, overridden by the variable. */
export function chooseIndex(config: Readonly<CollectorConfig>, env: NodeJS.ProcessEnv = process.env): IndexChoice {
  const configured = config.index?.elasticsearch;
  const fromEnv = env[ELASTICSEARCH_URL_VARIABLE]?.trim();
  const url = fromEnv
    ? fromEnv.includes(',')
      ? fromEnv
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
      : fromEnv
    : configured?.url;
  if (!fromEnv && config.index?.backend !== 'elasticsearch') return { backend: 'sqlite' };
  if (url === undefined || (Array.isArray(url) && url.length === 0)) {
    throw new CodedError(collectorErrors.CONFIG_INVALID, {
      source: 'index.elasticsearch',
      detail: `index.backend is elasticsearch but no URL is set: set index.elasticsearch.url or ${ELASTICSEARCH_URL_VARIABLE}`,
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

export async function openIndex(setup: CollectorSetup, env: NodeJS.ProcessEnv = process.env): Promise<Index> {
  const choice = chooseIndex(setup.config, env);
  if (choice.backend === 'elasticsearch') {
    const { ElasticsearchIndex } = await import('./elasticsearch/index.ts');
    // Bulk bodies a writer cannot hold in memory wait in the data directory, not in a small /tmp.
    return new ElasticsearchIndex(choice.settings, { spillDir: setup.dataDir });
  }
  const { SqliteIndex } = await import('./sqlite/index.ts');
  return new SqliteIndex(setup.paths.index);
}
