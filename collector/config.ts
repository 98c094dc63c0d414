// The collector's configuration: schemas/collector-config.ts, read from the
// file named by --config (or SHIPLOG_COLLECTOR_CONFIG) and SHIPLOG_COLLECTOR_*
// variables, validated, defaulted and frozen, with the data directory it
// points to. The schema comes from its published JSON (kept equal to the
// TypeBox source by `npm run schemas:check`), so commands do not load TypeBox.
import { mkdirSync, readFileSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import type { TSchema } from '@sinclair/typebox';
import { CodedError } from '../core/coded-error.ts';
import { displayConfig, loadConfig } from '../core/config.ts';
import { resourcePath } from '../core/resources.ts';
import type { CollectorConfig } from '../schemas/collector-config.ts';
import { type CollectorPaths, collectorPaths, resolveCollectorDataDir } from './data-dir.ts';
import { collectorErrors } from './errors.ts';
import { openControl } from './store/control.ts';

const CollectorConfigSchema = JSON.parse(
  readFileSync(resourcePath('schemas/json/collector-config.schema.json'), 'utf8'),
) as TSchema;

export type { CollectorConfig };

export interface CollectorSetup {
  readonly config: Readonly<CollectorConfig>;
  /** The configuration file read, if any. */
  readonly file: string | undefined;
  readonly dataDir: string;
  readonly paths: CollectorPaths;
}

/**
 * Loads the configuration. `file` is the --config option; without it,
 * SHIPLOG_COLLECTOR_CONFIG names the file; without either, the defaults and
 * variables alone make the configuration.
 */
export function loadCollectorConfig(file?: string, env: NodeJS.ProcessEnv = process.env): CollectorSetup {
  const path = file || env.SHIPLOG_COLLECTOR_CONFIG || undefined;
  const config = loadConfig<CollectorConfig>({
    schema: CollectorConfigSchema,
    envPrefix: 'SHIPLOG_COLLECTOR_',
    file: path,
    env: withElasticsearchShorthand(env),
    errors: {
      invalid: (details) => new CodedError(collectorErrors.CONFIG_INVALID, details),
      unreadable: (details) => new CodedError(collectorErrors.CONFIG_UNREADABLE, details),
      parse: (details) => new CodedError(collectorErrors.CONFIG_PARSE, details),
    },
  });
  const dataDir = resolveCollectorDataDir(env, config.data_dir);
  return Object.freeze({ config, file: path, dataDir, paths: collectorPaths(dataDir) });
}

/** Creates the data directory (0700) when it is absent; a directory this user cannot use is a coded error. */
export function prepareCollectorDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CodedError(collectorErrors.DATA_DIR_UNUSABLE, {
      path: dataDir,
      detail: (error as NodeJS.ErrnoException).code ?? String(error),
    });
  }
}

/**
 * Opens (creating and migrating when new) the control database of this data
 * directory; a directory or file this user cannot use is a coded error.
 */
export function openCollectorControl(setup: CollectorSetup): DatabaseSync {
  prepareCollectorDataDir(setup.dataDir);
  try {
    return openControl(setup.paths.control);
  } catch (error) {
    if (!isUnusableFile(error)) throw error;
    throw new CodedError(
      collectorErrors.DATA_DIR_UNUSABLE,
      { path: setup.paths.control, detail: (error as Error).message },
      { cause: error },
    );
  }
}

// SQLite's primary result codes for a file that cannot be opened or written:
// PERM, READONLY, CANTOPEN, NOTADB. Anything else is a bug, not the directory's fault.
const unusableFileCodes = new Set([3, 8, 14, 26]);

function isUnusableFile(error: unknown): boolean {
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  if (typeof errcode === 'number') return unusableFileCodes.has(errcode & 0xff);
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** A copy fit for printing: secrets read [REDACTED]. */
export function printableCollectorConfig(config: CollectorConfig): unknown {
  return displayConfig(config, CollectorConfigSchema);
}

/**
 * SHIPLOG_COLLECTOR_ELASTICSEARCH_URL is the documented one-variable switch to
 * Elasticsearch: it stands for index.backend=elasticsearch and
 * index.elasticsearch.url, unless those are set by their own variables, so
 * the other index.elasticsearch.* variables can go beside it.
 */
function withElasticsearchShorthand(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const url = env.SHIPLOG_COLLECTOR_ELASTICSEARCH_URL?.trim();
  if (!url) return env;
  return {
    ...env,
    SHIPLOG_COLLECTOR_INDEX_BACKEND: env.SHIPLOG_COLLECTOR_INDEX_BACKEND || 'elasticsearch',
    SHIPLOG_COLLECTOR_INDEX_ELASTICSEARCH_URL: env.SHIPLOG_COLLECTOR_INDEX_ELASTICSEARCH_URL || url,
  };
}
