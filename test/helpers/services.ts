// What the integration globalSetup (services-setup.ts) found running.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { ElasticsearchNode, ServiceName } from './services-setup.ts';

/**
 * True when the service is up. Use as `describe.skipIf(!requireService('docker'))`.
 * Under CI=true a missing service already failed the run in globalSetup;
 * the throw here keeps that promise even if a test runs without it.
 */
export function requireService(name: ServiceName): boolean {
  const up = inject('services')[name];
  if (!up && process.env.CI === 'true') {
    throw new Error(`service ${name} is not available, and CI=true forbids skipping`);
  }
  return up;
}

/** Base URL of the test Elasticsearch, e.g. http://127.0.0.1:9250. */
export function esUrl(): string {
  return inject('services').esUrl;
}

/** URL and state directory of a test Elasticsearch node that started. */
export function esNode(name: ElasticsearchNode): { url: string; dir: string } {
  const node = inject('services').esNodes[name];
  if (!node) throw new Error(`Elasticsearch node ${name} did not start`);
  return node;
}

/** The security-on node: HTTPS with required client certificates, and its file-realm users. */
export interface SecureEs {
  url: string;
  /** PEM files made by test/services/up.sh: the CA (and its key, to sign more certificates) and a client certificate. */
  ca: string;
  caKey: string;
  cert: string;
  key: string;
  /** A superuser, and a user with the built-in viewer role (may read, not write). */
  username: string;
  password: string;
  viewer: { username: string; password: string };
}

export function secureEs(): SecureEs {
  const { url, dir } = esNode('elasticsearch-secure');
  const pki = join(dir, 'pki');
  const read = (name: string) => readFileSync(join(pki, name), 'utf8').trim();
  return {
    url,
    ca: join(pki, 'ca.crt'),
    caKey: join(pki, 'ca.key'),
    cert: join(pki, 'client.crt'),
    key: join(pki, 'client.key'),
    username: read('username'),
    password: read('password'),
    viewer: { username: read('viewer-username'), password: read('viewer-password') },
  };
}
