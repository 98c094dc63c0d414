// What the integration globalSetup (services-setup.ts) found running.
import { inject } from 'vitest';
import type { ServiceName } from './services-setup.ts';

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
