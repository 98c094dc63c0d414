// Builds the @elastic/elasticsearch client from the sink's config. Our own
// retry loop owns retries, so the client makes exactly one attempt.
import { readFileSync } from 'node:fs';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { CodedError } from '../../../core/coded-error.ts';
import { parseDuration } from '../../../core/units.ts';
import type { ElasticsearchSinkConfig } from '../../../schemas/agent-config.ts';
import { agentErrors } from '../../errors.ts';

export type ClientFactory = (options: ClientOptions) => Client;

export function clientOptions(config: ElasticsearchSinkConfig): ClientOptions {
  const nodes = Array.isArray(config.url) ? config.url : [config.url];
  const options: ClientOptions = {
    nodes,
    maxRetries: 0,
    requestTimeout: Math.max(30_000, parseDuration(config.flush_after) * 10),
    // The sink compresses bulk bodies itself (sink.ts); responses are small.
    compression: false,
    name: 'shiplog',
  };
  if (config.api_key) options.auth = { apiKey: config.api_key };
  else if (config.username) options.auth = { username: config.username, password: config.password ?? '' };
  if (config.tls) {
    options.tls = {
      ca: config.tls.ca ? readPem(config.tls.ca, 'tls.ca') : undefined,
      cert: config.tls.cert ? readPem(config.tls.cert, 'tls.cert') : undefined,
      key: config.tls.key ? readPem(config.tls.key, 'tls.key') : undefined,
      rejectUnauthorized: config.tls.verify,
    };
  }
  return options;
}

function readPem(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CodedError(agentErrors.SINK_ES_TLS_FILE, {
      setting: `elasticsearch.${setting}`,
      path,
      detail: (error as NodeJS.ErrnoException).code ?? String(error),
    });
  }
}

export const defaultClientFactory: ClientFactory = (options) => new Client(options);
