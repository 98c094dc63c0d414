// Builds the @elastic/elasticsearch client from the sink's config. Our own
// retry loop owns retries, so the client makes exactly one attempt. The TLS
// files are read and checked here, once, so a missing file, a key that is not
// the certificate's or a file that is not PEM stops the agent at start with
// the setting named, instead of failing every connection later.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { Client, type ClientOptions } from '@elastic/elasticsearch';
import { CodedError } from '../../../core/coded-error.ts';
import { parseDuration } from '../../../core/units.ts';
import type { ElasticsearchSinkConfig } from '../../../schemas/agent-config.ts';
import { agentErrors } from '../../errors.ts';

export type ClientFactory = (options: ClientOptions) => Client;

/** The PEM texts of elasticsearch.tls.*, and the client certificate parsed, for telling its failures apart. */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
  clientCert?: X509Certificate;
}

export function readTlsFiles(config: Pick<ElasticsearchSinkConfig, 'tls'>): TlsFiles {
  const tls = config.tls;
  if (!tls) return {};
  if (Boolean(tls.cert) !== Boolean(tls.key)) {
    const [setting, path] = tls.cert ? ['tls.key', '(not set)'] : ['tls.cert', '(not set)'];
    throw tlsFileError(
      setting,
      path,
      'a client certificate needs both elasticsearch.tls.cert and elasticsearch.tls.key',
    );
  }
  const files: TlsFiles = {};
  if (tls.ca) {
    files.ca = readPem(tls.ca, 'tls.ca');
    parseCertificate(files.ca, 'tls.ca', tls.ca);
  }
  if (tls.cert && tls.key) {
    files.cert = readPem(tls.cert, 'tls.cert');
    files.key = readPem(tls.key, 'tls.key');
    files.clientCert = parseCertificate(files.cert, 'tls.cert', tls.cert);
    try {
      createSecureContext({ cert: files.cert, key: files.key });
    } catch (error) {
      throw tlsFileError(
        'tls.key',
        tls.key,
        `it is not the unencrypted private key of ${tls.cert} (${describe(error)})`,
      );
    }
  }
  return files;
}

/**
 * Client options. `trustedCa` replaces the CA file: the sink passes the CA
 * certificate it found by `tls.ca_fingerprint` in the server's chain.
 */
export function clientOptions(
  config: ElasticsearchSinkConfig,
  files: TlsFiles = readTlsFiles(config),
  trustedCa?: string,
): ClientOptions {
  const nodes = Array.isArray(config.url) ? config.url : [config.url];
  const options: ClientOptions = {
    nodes,
    maxRetries: 0,
    requestTimeout: Math.max(30_000, parseDuration(config.flush_after) * 10),
    // The sink compresses bulk bodies itself (sink.ts); responses are small.
    compression: false,
    name: 'shiplog',
  };
  if (config.api_key) options.auth = { apiKey: encodeApiKey(config.api_key) };
  else if (config.username) options.auth = { username: config.username, password: config.password ?? '' };
  if (config.tls) {
    options.tls = {
      ca: trustedCa ?? files.ca,
      cert: files.cert,
      key: files.key,
      rejectUnauthorized: config.tls.verify,
    };
  }
  return options;
}

/**
 * Elasticsearch hands out an API key as `encoded` (base64 of `id:api_key`),
 * which is what the Authorization header carries; an operator who copied the
 * `id` and `api_key` fields instead may write `id:api_key`, which has a colon
 * that base64 never has, and is encoded here.
 */
export function encodeApiKey(value: string): string {
  return value.includes(':') ? Buffer.from(value).toString('base64') : value;
}

function readPem(path: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw tlsFileError(setting, path, (error as NodeJS.ErrnoException).code ?? String(error));
  }
}

function parseCertificate(pem: string, setting: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw tlsFileError(setting, path, `it holds no PEM certificate (${describe(error)})`);
  }
}

function tlsFileError(setting: string, path: string, detail: string): CodedError {
  return new CodedError(agentErrors.SINK_ES_TLS_FILE, { setting: `elasticsearch.${setting}`, path, detail });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.replace(/^error:[0-9A-F]+:/, '').trim() : String(error);
}

export const defaultClientFactory: ClientFactory = (options) => new Client(options);
