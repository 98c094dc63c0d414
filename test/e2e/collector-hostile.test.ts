// Issue #11: `shiplog-collector serve` fed hostile and malformed bundles, as
// an attacker would send them over HTTP. Every case of
// test/helpers/collector-hostile.ts is built here, uploaded, and must end
// with its own answer: an immediate HTTP status and code, or a final status
// and code of its ingest. Then, for all of them at once: none of their lines
// can be found with any token; nothing was written outside the collector's
// data directory (canaries beside it, /etc/passwd untouched) and nothing of
// them unpacked inside it (no symlink, no leftover, no directory); a body
// refused at once left no blob; and the collector still indexes a genuine
// bundle sent last. Bombs and the 40 MiB body take a while on a
// shared machine, so the timeouts are generous; only codes are asserted.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RunningCollector, startCollector, waitForBundle } from '../helpers/collector.ts';
import {
  canaries,
  type HostileCase,
  type HostileKit,
  hostileCases,
  hostileKit,
  type Uploader,
} from '../helpers/collector-hostile.ts';
import { tempDir } from '../helpers/temp.ts';

const mib = 1024 ** 2;
const maxUploadBytes = 40 * mib;
const maxFiles = 500;
const ingestTimeout = 120_000;

let collector: RunningCollector;
/** The directory holding the collector's data directory and the canaries, nothing else. */
let arena: string;
let dataDir: string;
let kit: HostileKit;
/** The upload tokens by who sends a case. */
const uploaders = {} as Record<Uploader, string>;
let acmeRead: string;
let acmeAdmin: string;
let globalAdmin: string;
let globexRead: string;

/** The genuine bundle that pinned bank-host-01's key before the cases. */
const pinned = { marker: 'pinnedsitemarkerq', id: '' };

interface Sent {
  readonly hostile: HostileCase;
  readonly marker: string;
  /** SHA-256 of the body sent. */
  readonly sha256: string;
  /** The bundle id, when the upload was accepted. */
  id?: string;
}
const sent: Sent[] = [];

interface Snapshot {
  readonly content: string;
  readonly mtimeMs: number;
  readonly nlink: number;
}

function snapshot(path: string): Snapshot {
  const stats = statSync(path);
  return { content: readFileSync(path, 'latin1'), mtimeMs: stats.mtimeMs, nlink: stats.nlink };
}

let passwdBefore: Snapshot;
let canaryBefore: Snapshot;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function upload(token: string, body: Buffer, query = '') {
  return api(collector, token, `/api/v1/bundles${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });
}

async function search(token: string, q: string) {
  const answer = await api(collector, token, `/api/v1/search?q=${encodeURIComponent(q)}`);
  expect(answer.status, `search ${q}`).toBe(200);
  return answer.body as { total: number; hits: { bundle: string }[] };
}

/** Every path under `root`, depth first, seen with lstat (links are not followed). */
function walk(root: string): { path: string; stats: Stats }[] {
  const found: { path: string; stats: Stats }[] = [];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    const stats = lstatSync(path);
    found.push({ path, stats });
    if (stats.isDirectory()) found.push(...walk(path));
  }
  return found;
}

/** The names in `dir`, or none when it does not exist. */
const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

beforeAll(async () => {
  arena = tempDir('shiplog-hostile-arena-');
  dataDir = join(arena, 'data');
  writeFileSync(join(arena, canaries.existing), 'a file beside the collector: links must not reach it\n');
  canaryBefore = snapshot(join(arena, canaries.existing));
  passwdBefore = snapshot('/etc/passwd');
  collector = await startCollector({
    dataDir,
    env: {
      SHIPLOG_COLLECTOR_CONFIG: undefined,
      SHIPLOG_COLLECTOR_IDENTITY: undefined,
      SHIPLOG_COLLECTOR_UPLOAD_MAX_BYTES: String(maxUploadBytes),
      SHIPLOG_COLLECTOR_UPLOAD_MAX_UNPACKED_BYTES: '256MiB',
      SHIPLOG_COLLECTOR_UPLOAD_MAX_FILES: String(maxFiles),
    },
  });
  uploaders.acme = await collector.token('acme', 'upload');
  uploaders['acme-other'] = await collector.token('acme', 'upload');
  uploaders.globex = await collector.token('globex', 'upload');
  acmeRead = await collector.token('acme', 'read');
  acmeAdmin = await collector.token('acme', 'admin');
  globexRead = await collector.token('globex', 'read');
  globalAdmin = await collector.token('*', 'admin');
  kit = await hostileKit({ work: tempDir('shiplog-hostile-work-'), arena, maxUploadBytes, maxFiles });

  // The site's key is pinned by its first genuine bundle: a bundle of it signed by another key is then a change.
  const first = await upload(uploaders.acme, (await kit.genuine(pinned.marker, 'gzip')).bytes);
  expect(first.status).toBe(201);
  pinned.id = first.body.id as string;
  expect((await waitForBundle(collector, acmeRead, pinned.id, ingestTimeout)).status).toBe('indexed');
}, 180_000);

afterAll(async () => {
  await collector?.stop();
});

describe('shiplog-collector serve, fed hostile bundles', () => {
  it('has at least 30 cases, each named once', () => {
    expect(hostileCases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(hostileCases.map((hostile) => hostile.name)).size).toBe(hostileCases.length);
  });

  const rows = hostileCases.map((hostile, index) => ({
    name: hostile.name,
    hostile,
    marker: `hostilemark${String(index + 1).padStart(2, '0')}q`,
  }));

  it.each(rows)('answers $name with its own code', { timeout: 240_000 }, async ({ hostile, marker }) => {
    const body = await hostile.build(kit, marker);
    const bytes = typeof body === 'string' ? readFileSync(body) : body;
    const uploader = hostile.uploader ?? 'acme';
    const entry: Sent = { hostile, marker, sha256: sha256(bytes) };
    sent.push(entry);
    const answer = await upload(uploaders[uploader], bytes, hostile.query);
    const outcome = hostile.outcome;
    if ('http' in outcome) {
      expect({ status: answer.status, code: answer.body.error?.code }).toEqual({
        status: outcome.http,
        code: outcome.code,
      });
      return;
    }
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const id = answer.body.id as string;
    entry.id = id;
    // The token that sent it may follow it.
    expect((await api(collector, uploaders[uploader], `/api/v1/bundles/${id}`)).status).toBe(200);
    const reader = uploader === 'globex' ? globexRead : acmeRead;
    const done = await waitForBundle(collector, reader, id, ingestTimeout);
    if (outcome.status === 'indexed') {
      expect({ status: done.status, tenant: done.tenant }).toEqual({ status: 'indexed', tenant: outcome.tenant });
    } else {
      expect({ status: done.status, code: done.error?.code }).toEqual({ status: outcome.status, code: outcome.code });
      expect(done.tenant).toBe(uploader === 'globex' ? 'globex' : 'acme');
    }
    if (uploader === 'globex') {
      // Another tenant's bundle, whatever site it names: acme's tokens cannot see it.
      expect((await api(collector, acmeRead, `/api/v1/bundles/${id}`)).status).toBe(404);
      expect((await api(collector, uploaders.acme, `/api/v1/bundles/${id}`)).status).toBe(404);
    }
    if (uploader === 'acme-other') {
      // An upload token sees the status of what it sent itself, and nothing else.
      const asked = await api(collector, uploaders.acme, `/api/v1/bundles/${id}`);
      expect(asked.status).toBe(404);
      expect(asked.body.error?.code).toBe('COLLECTOR_ERR_NOT_FOUND');
    }
  });

  it('lets no token find a line of any hostile bundle', { timeout: 120_000 }, async () => {
    // Markers of this form are searchable: the genuine bundle that pinned the site is found by its own.
    expect((await search(acmeRead, pinned.marker)).total).toBe(2);
    expect(sent.length).toBe(hostileCases.length);
    const searchers = [
      { token: acmeRead, tenants: ['acme'] },
      { token: acmeAdmin, tenants: ['acme'] },
      { token: globexRead, tenants: ['globex'] },
      { token: globalAdmin, tenants: ['acme', 'globex'] },
    ];
    for (const { hostile, marker, id } of sent) {
      const outcome = hostile.outcome;
      for (const { token, tenants } of searchers) {
        const found = await search(token, marker);
        const visible = 'tenant' in outcome && tenants.includes(outcome.tenant);
        if (!visible) {
          expect(found.total, `${hostile.name}: ${marker}`).toBe(0);
          continue;
        }
        // The one case accepted, for globex: found there, only as that bundle.
        expect(found.total, `${hostile.name}: ${marker}`).toBe(2);
        expect(found.hits.every((hit) => hit.bundle === id)).toBe(true);
      }
    }
  });

  it('wrote nothing outside its data directory, and unpacked nothing of the hostile bundles inside it', () => {
    // Beside the data directory: only the canary that was there, unchanged and not linked to.
    expect(readdirSync(arena).sort()).toEqual([canaries.existing, 'data'].sort());
    expect(snapshot(join(arena, canaries.existing))).toEqual(canaryBefore);
    expect(snapshot('/etc/passwd')).toEqual(passwdBefore);
    for (const name of Object.values(canaries)) {
      if (name !== canaries.existing) expect(existsSync(join(arena, name)), name).toBe(false);
    }

    const everything = walk(dataDir);
    expect(everything.filter(({ stats }) => stats.isSymbolicLink()).map(({ path }) => path)).toEqual([]);
    expect(everything.filter(({ path }) => /\/\.unpack-/.test(path)).map(({ path }) => path)).toEqual([]);
    const unpacked = join(dataDir, 'unpacked');
    const executable = everything.filter(
      ({ path, stats }) => path.startsWith(unpacked) && stats.isFile() && (stats.mode & 0o111) !== 0,
    );
    expect(executable.map(({ path }) => path)).toEqual([]);

    // Unpacked: only the bundles that were indexed.
    const indexedElsewhere = sent.filter(({ hostile }) => 'tenant' in hostile.outcome).map(({ id }) => id);
    expect(listing(join(unpacked, 'acme'))).toEqual([pinned.id]);
    expect(listing(join(unpacked, 'globex'))).toEqual(indexedElsewhere.sort());
  });

  it('keeps no blob of a body refused at once, and no upload half-received', () => {
    const partial = walk(join(dataDir, 'incoming')).filter(({ stats }) => !stats.isDirectory());
    expect(partial.map(({ path }) => path)).toEqual([]);
    const stored = walk(join(dataDir, 'blobs')).filter(({ stats }) => stats.isFile());
    const blobs = new Set(stored.map(({ path }) => path.split('/').at(-1)));
    const refused = sent.filter(({ id }) => id === undefined);
    expect(refused.filter(({ sha256 }) => blobs.has(sha256)).map(({ hostile }) => hostile.name)).toEqual([]);
  });

  it('still serves: a genuine bundle sent last is indexed and its lines are found', { timeout: 180_000 }, async () => {
    const health = await api(collector, undefined, '/healthz');
    expect(health.status).toBe(200);
    const marker = 'genuinelastmarkerq';
    const answer = await upload(uploaders.acme, (await kit.genuine(marker, 'zstd')).bytes);
    expect(answer.status).toBe(201);
    const done = await waitForBundle(collector, acmeRead, answer.body.id as string, ingestTimeout);
    expect({ status: done.status, code: done.error?.code }).toEqual({ status: 'indexed', code: undefined });
    const found = await search(acmeRead, marker);
    expect(found.total).toBe(2);
    expect(found.hits.every((hit) => hit.bundle === answer.body.id)).toBe(true);
    expect((await search(globexRead, marker)).total).toBe(0);
  });
});
