// The site key behind pseudonyms: 32 random bytes under <dataDir>/keys,
// created on first use (file 0600, folder 0700), never written into any
// output. Reports carry only its id: the first 16 hex of its SHA-256.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodedError } from '../../core/coded-error.ts';
import { agentErrors } from '../errors.ts';

export interface SiteKey {
  readonly key: Buffer;
  /** First 16 hex digits of sha256(key): safe to print and to put in a bundle. */
  readonly id: string;
  /** Where it was read from; undefined for a key handed in by the caller. */
  readonly path: string | undefined;
}

export function siteKeyPath(dataDir: string): string {
  return join(dataDir, 'keys', 'pseudonym.key');
}

export function siteKeyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function siteKeyFromBytes(key: Uint8Array): SiteKey {
  if (key.length < 16) throw new Error('a site key needs at least 16 bytes');
  return { key: Buffer.from(key), id: siteKeyId(key), path: undefined };
}

/** Reads the site key, creating it first if this host has none yet. */
export function loadOrCreateSiteKey(dataDir: string): SiteKey {
  const path = siteKeyPath(dataDir);
  const fail = (detail: string, advice: string, cause?: unknown) =>
    new CodedError(agentErrors.REDACTION_SITE_KEY, { path, detail, advice }, { cause });
  try {
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fail(errorCode(error), 'Set SHIPLOG_DATA_DIR (or data_dir) to a directory shiplog may write.', error);
  }
  let text: string | undefined;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw fail(errorCode(error), 'Check the permissions of the keys directory.', error);
    }
  }
  if (text === undefined) {
    try {
      // 'wx': if another process created it a moment ago, keep theirs.
      writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw fail(errorCode(error), 'Set SHIPLOG_DATA_DIR (or data_dir) to a directory shiplog may write.', error);
      }
    }
    text = readFileSync(path, 'latin1');
  }
  const mode = statSync(path).mode;
  if ((mode & 0o077) !== 0) {
    throw fail(
      `it is readable by other users (mode ${(mode & 0o777).toString(8)})`,
      `Run "chmod 600 ${path}"; anyone who reads it can link pseudonyms back to values.`,
    );
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw fail(
      'it is not 64 hexadecimal digits',
      'Restore it from backup, or delete it to start a new key (pseudonyms from earlier bundles will no longer match).',
    );
  }
  const key = Buffer.from(hex, 'hex');
  return { key, id: siteKeyId(key), path };
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
