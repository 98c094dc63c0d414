// The connection to the cluster: the client the agent's sink builds (same
// TLS and auth handling, agent/sinks/elasticsearch/client.ts), one request
// function whose failures are ClusterErrors with the status and the
// cluster's own error type, and what the cluster offers, asked once
// (agent/sinks/elasticsearch/capabilities.ts).
import type { Client, ClientOptions } from '@elastic/elasticsearch';
import {
  type ClusterCapabilities,
  chooseMappings,
  type MappingChoices,
  parseNodesInfo,
} from '../../../agent/sinks/elasticsearch/capabilities.ts';
import { type ClientFactory, clientOptions, defaultClientFactory } from '../../../agent/sinks/elasticsearch/client.ts';
import type { ElasticsearchSinkConfig } from '../../../schemas/agent-config.ts';

/** The collector's `index.elasticsearch` settings. */
export interface ElasticsearchSettings {
  readonly url: string | readonly string[];
  readonly username?: string;
  readonly password?: string;
  readonly api_key?: string;
  readonly index_prefix: string;
}

/** A request the cluster refused or could not be sent; `status` 0 when no answer came. */
export class ClusterError extends Error {
  readonly status: number;
  /** The cluster's error type (e.g. index_not_found_exception), or '' when there is none. */
  readonly type: string;
  readonly retryAfter: string | undefined;
  constructor(message: string, status: number, type: string, retryAfter?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterError';
    this.status = status;
    this.type = type;
    this.retryAfter = retryAfter;
  }
}

export interface RequestOptions {
  readonly body?: unknown;
  /** An NDJSON body (bulk, msearch). */
  readonly bulk?: string | Buffer;
  readonly query?: Record<string, string | number | boolean>;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** What this backend takes from a cluster's capabilities. */
export interface ClusterFeatures {
  readonly capabilities: ClusterCapabilities;
  readonly mappings: MappingChoices;
  /** `_delete_by_query` lives in the reindex module, which lean distributions lack. */
  readonly deleteByQuery: boolean;
}

export function featuresOf(capabilities: ClusterCapabilities): ClusterFeatures {
  return {
    capabilities,
    mappings: chooseMappings(capabilities),
    deleteByQuery: capabilities.modules.has('reindex'),
  };
}

/** Client options from the collector's settings, built by the agent's code for the same job. */
export function collectorClientOptions(settings: ElasticsearchSettings): ClientOptions {
  const shaped = {
    url: Array.isArray(settings.url) ? [...settings.url] : settings.url,
    // The agent derives its request timeout from this: 10 x 3 s = 30 s.
    flush_after: '3s',
    ...(settings.username !== undefined && { username: settings.username }),
    ...(settings.password !== undefined && { password: settings.password }),
    ...(settings.api_key !== undefined && { api_key: settings.api_key }),
  };
  return clientOptions(shaped as unknown as ElasticsearchSinkConfig);
}

export class Cluster {
  readonly client: Client;
  private features: Promise<ClusterFeatures> | undefined;

  constructor(settings: ElasticsearchSettings, factory: ClientFactory = defaultClientFactory) {
    this.client = factory(collectorClientOptions(settings));
  }

  async request<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    try {
      return (await this.client.transport.request(
        {
          method,
          path,
          ...(options.body !== undefined && { body: options.body as Record<string, unknown> }),
          ...(options.bulk !== undefined && { bulkBody: options.bulk }),
          ...(options.query && { querystring: options.query }),
        },
        {
          ...(options.timeoutMs !== undefined && { requestTimeout: options.timeoutMs }),
          ...(options.signal && { signal: options.signal }),
        },
      )) as T;
    } catch (error) {
      throw clusterError(error, `${method} ${path}`);
    }
  }

  /**
   * What the cluster offers (asked once; asked again after a failure). A
   * user without the monitor privilege may not ask: then the choices that
   * work on every cluster are taken.
   */
  featuresOnce(): Promise<ClusterFeatures> {
    this.features ??= this.request('GET', '/_nodes/_local', {
      query: { filter_path: 'nodes.*.version,nodes.*.modules.name,nodes.*.plugins.name' },
    })
      .catch((error: unknown) => {
        if (error instanceof ClusterError && error.status === 403) return {};
        throw error;
      })
      .then((body) => featuresOf(parseNodesInfo(body)))
      .catch((error: unknown) => {
        this.features = undefined;
        throw error;
      });
    return this.features;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

function clusterError(error: unknown, what: string): ClusterError {
  const meta = (error as { meta?: { statusCode?: number; headers?: Record<string, string | string[]> } }).meta;
  const body = (error as { meta?: { body?: unknown } }).meta?.body as
    | {
        error?: {
          type?: string;
          reason?: string;
          root_cause?: { type?: string; reason?: string }[];
          caused_by?: { type?: string; reason?: string };
        };
      }
    | undefined;
  const status = meta?.statusCode ?? 0;
  const failure = body?.error;
  const cause = failure?.root_cause?.[0] ?? failure?.caused_by;
  const type = failure?.type ?? '';
  const reason = failure?.reason
    ? `${type}: ${failure.reason}${cause?.reason && cause.reason !== failure.reason ? ` (${cause.type}: ${cause.reason})` : ''}`
    : error instanceof Error
      ? error.message
      : String(error);
  const retryAfter = meta?.headers?.['retry-after'];
  return new ClusterError(
    `Elasticsearch ${status ? `answered ${status} to` : 'did not answer'} ${what}: ${reason}`,
    status,
    type,
    Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
    { cause: error },
  );
}

/** True when the error (or its root cause) is of this cluster type. */
export function isClusterError(error: unknown, type?: string): error is ClusterError {
  return error instanceof ClusterError && (type === undefined || error.type === type || error.message.includes(type));
}
