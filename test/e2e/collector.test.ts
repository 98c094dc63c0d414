// The collector as a vendor runs it: `shiplog-collector serve` on embedded
// defaults, bundles uploaded with curl-style raw bodies, each verified,
// unpacked, scanned and indexed, then searched with tokens of several
// tenants and roles.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiplogCollector } from '../helpers/cli.ts';
import { api, type RunningCollector, startCollector, waitForBundle } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp.ts';
import { buildBundle, rewriteBundle } from '../unit/agent/bundle/seal/make-bundle.ts';

const inspect = {
  Id: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2',
  Name: '/api',
  RestartCount: 7,
  Config: { Image: 'acme/api:2.3.1', Labels: { 'com.docker.compose.service': 'api' } },
  State: { Status: 'restarting', ExitCode: 137, OOMKilled: true },
};

const apiLog = [
  '2024-03-14T09:00:00.000000001Z stdout starting api version 2.3.1',
  '2024-03-14T09:00:01.500000000Z stderr ERROR connection refused to ledger-db:5432',
  '2024-03-14T09:00:02.000000000Z stdout retrying in 5s',
  '',
].join('\n');

const extra = {
  'containers/api/container.log': Buffer.from(apiLog),
  'containers/api/inspect.json': Buffer.from(JSON.stringify(inspect)),
};

let collector: RunningCollector;
let dir: string;
let upload: string;
let read: string;
let otherRead: string;
let bundlePath: string;
/** The data directory holding the key the collector has pinned for bank-host-01. */
let siteDataDir: string;

async function post(path: string, token: string, body: Buffer, query = '') {
  return api(collector, token, `/api/v1/bundles${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream' },
  }).then((answer) => ({ ...answer, path }));
}

beforeAll(async () => {
  dir = tempDir('shiplog-collector-e2e-');
  collector = await startCollector();
  upload = await collector.token('acme', 'upload');
  read = await collector.token('acme', 'read');
  otherRead = await collector.token('globex', 'read');
  bundlePath = (await buildBundle(dir, { extra })).path;
  siteDataDir = join(dir, 'data');
}, 60_000);

afterAll(async () => {
  await collector?.stop();
});

describe('shiplog-collector serve', () => {
  it('starts on embedded defaults, answers /healthz and prints a first admin token once', async () => {
    expect(collector.adminToken).toMatch(/^slc_/);
    const health = await api(collector, undefined, '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true });
  });

  it('indexes an uploaded bundle and finds its lines with the ECS fields and the bundle id', async () => {
    const answer = await post('bundle', upload, readFileSync(bundlePath));
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ created: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(['received', 'verifying', 'indexing', 'indexed']).toContain(answer.body.status);
    const id = answer.body.id as string;
    const done = await waitForBundle(collector, read, id);
    expect(done.status).toBe('indexed');
    expect(done).toMatchObject({ site: 'bank-host-01', tenant: 'acme' });

    const search = await api(collector, read, `/api/v1/search?q=${encodeURIComponent('"connection refused"')}`);
    expect(search.status).toBe(200);
    expect(search.body.total).toBe(1);
    const hit = (search.body.hits as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(hit).toMatchObject({
      message: 'ERROR connection refused to ledger-db:5432',
      '@timestamp': '2024-03-14T09:00:01.500000000Z',
      bundle: id,
      'container.name': 'api',
      'host.name': 'bank-host-01',
      'service.name': 'api',
      'log.stream': 'stderr',
      'log.level': 'error',
      container: { name: 'api', image: { name: 'acme/api', tag: '2.3.1' } },
    });

    const plain = await api(collector, read, '/api/v1/search?q=UNIQUE-CONTENT-MARKER');
    expect(plain.body.total).toBe(1);

    // The analyzers ran on ingest: the OOM-killed, restarting container is named, with its evidence.
    const findings = await api(collector, read, `/api/v1/bundles/${id}/findings`);
    expect(findings.status).toBe(200);
    const named = (findings.body.findings as { analyzer: string; title: string; state: string }[]).filter((finding) =>
      finding.title.includes('api'),
    );
    expect(named.map((finding) => finding.analyzer)).toEqual(expect.arrayContaining(['oom-killed']));
    expect(named.every((finding) => finding.state === 'new')).toBe(true);
    expect((await api(collector, otherRead, `/api/v1/bundles/${id}/findings`)).status).toBe(404);
  });

  it('answers the existing bundle when the same bytes arrive again, never a duplicate', async () => {
    const first = await post('again', upload, readFileSync(bundlePath));
    expect(first.status).toBe(200);
    expect(first.body.created).toBe(false);
    const search = await api(collector, read, '/api/v1/search?q=UNIQUE-CONTENT-MARKER');
    expect(search.body.total).toBe(1);
  });

  it('signs a receipt that ssh-keygen verifies with the collector key alone', async () => {
    const answer = await post('receipt', upload, readFileSync(bundlePath));
    const receipt = answer.body.receipt as { signed: string; signature: string; sha256: string };
    const sha = execFileSync('sha256sum', [bundlePath]).toString().split(' ')[0];
    expect(receipt.sha256).toBe(sha);
    const pub = readFileSync(join(collector.dataDir, 'keys', 'bundle-signing.pub'), 'utf8').trim();
    const allowed = join(dir, 'collector_allowed_signers');
    writeFileSync(allowed, `shiplog-collector namespaces="shiplog-receipt" ${pub}\n`);
    writeFileSync(join(dir, 'receipt.sig'), receipt.signature);
    const verified = execFileSync(
      'ssh-keygen',
      [
        '-Y',
        'verify',
        '-f',
        allowed,
        '-I',
        'shiplog-collector',
        '-n',
        'shiplog-receipt',
        '-s',
        join(dir, 'receipt.sig'),
      ],
      { input: receipt.signed },
    ).toString();
    expect(verified).toContain('Good "shiplog-receipt" signature');
  });

  it('keeps tenants apart: another tenant sees neither the bundle nor its lines', async () => {
    const list = await api(collector, read, '/api/v1/bundles');
    const id = (list.body.bundles as { id: string }[])[0]?.id as string;
    expect((await api(collector, otherRead, `/api/v1/bundles/${id}`)).status).toBe(404);
    const search = await api(collector, otherRead, '/api/v1/search?q=UNIQUE-CONTENT-MARKER');
    expect(search.body.total).toBe(0);
    expect((await api(collector, otherRead, '/api/v1/search?q=x&tenant=acme')).status).toBe(404);
    expect((await api(collector, otherRead, `/api/v1/bundles/${id}/download`)).status).toBe(404);
  });

  it('keeps tenants apart on context, histogram, facets and the audit log too', async () => {
    const search = await api(collector, read, `/api/v1/search?q=${encodeURIComponent('"connection refused"')}`);
    const hit = (search.body.hits as { id: string }[])[0] as { id: string };
    const context = await api(collector, read, `/api/v1/events/${hit.id}/context?before=1&after=1`);
    expect(context.status).toBe(200);
    expect((context.body.hits as { message: string }[]).map((line) => line.message)).toEqual([
      'starting api version 2.3.1',
      'ERROR connection refused to ledger-db:5432',
      'retrying in 5s',
    ]);
    expect((await api(collector, otherRead, `/api/v1/events/${hit.id}/context`)).status).toBe(404);
    const theirs = await api(collector, otherRead, '/api/v1/search/histogram?q=refused');
    expect((theirs.body.buckets as { count: number }[]).reduce((sum, bucket) => sum + bucket.count, 0)).toBe(0);
    const ours = await api(collector, read, '/api/v1/search/histogram?q=refused');
    expect((ours.body.buckets as { count: number }[]).reduce((sum, bucket) => sum + bucket.count, 0)).toBe(1);
    const facets = await api(collector, otherRead, '/api/v1/search/facets?fields=container,site');
    expect(facets.body).toEqual({ container: [], site: [] });
    const ourFacets = await api(collector, read, '/api/v1/search/facets?fields=container');
    expect(ourFacets.body.container).toEqual(expect.arrayContaining([{ value: 'api', count: 3 }]));
    // Audit: a reader may not read it; another tenant's admin sees none of acme's entries.
    expect((await api(collector, read, '/api/v1/audit')).status).toBe(403);
    const globexAdmin = await collector.token('globex', 'admin');
    const audit = await api(collector, globexAdmin, '/api/v1/audit');
    expect(audit.status).toBe(200);
    expect((audit.body.entries as { tenant: string }[]).every((entry) => entry.tenant === 'globex')).toBe(true);
  });

  it('lets an upload token see what it uploaded, and nothing else', async () => {
    const list = await api(collector, upload, '/api/v1/search?q=api');
    expect(list.status).toBe(403);
    expect(list.body.error?.code).toBe('COLLECTOR_ERR_FORBIDDEN');
  });

  it('refuses requests without a valid token', async () => {
    expect((await api(collector, undefined, '/api/v1/search?q=x')).body.error?.code).toBe(
      'COLLECTOR_ERR_TOKEN_MISSING',
    );
    expect((await api(collector, 'slc_nothing', '/api/v1/search?q=x')).status).toBe(401);
  });

  it('refuses a body that is no bundle at once, and an empty one', async () => {
    const junk = await post('junk', upload, Buffer.from('<html>not a bundle</html>'));
    expect(junk.status).toBe(415);
    expect(junk.body.error?.code).toBe('COLLECTOR_ERR_UPLOAD_NOT_A_BUNDLE');
    const empty = await post('empty', upload, Buffer.alloc(0));
    expect(empty.body.error?.code).toBe('COLLECTOR_ERR_UPLOAD_EMPTY');
  });

  it('answers a malformed query with 400 and what is wrong, never 500', async () => {
    for (const q of ['"unclosed', '(a OR', 'nosuchfield:x', 'a AND']) {
      const answer = await api(collector, read, `/api/v1/search?q=${encodeURIComponent(q)}`);
      expect(answer.status, q).toBe(400);
      expect(answer.body.error?.code, q).toBe('COLLECTOR_ERR_QUERY_INVALID');
    }
  });

  it('rejects a bundle changed after signing, with its code, and indexes nothing of it', async () => {
    const tampered = rewriteBundle(readFileSync(bundlePath), (items) =>
      items.map((item) =>
        item.name === 'containers/api/container.log'
          ? { ...item, data: Buffer.from(apiLog.replace('ledger-db', 'TAMPERED!')) }
          : item,
      ),
    );
    const answer = await post('tampered', upload, tampered);
    expect(answer.status).toBe(201);
    const done = await waitForBundle(collector, read, answer.body.id as string);
    expect(done.status).toBe('rejected');
    expect(done.error?.code).toBe('COLLECTOR_ERR_BUNDLE_TAMPERED');
    expect((await api(collector, read, '/api/v1/search?q=TAMPERED')).body.total).toBe(0);
  });

  it('quarantines a bundle from a known site signed by another key until an admin accepts the key', async () => {
    // Same site name, a new data directory: a new signing key.
    const other = await buildBundle(tempDir('shiplog-collector-rekey-'), {
      extra: { 'containers/api/container.log': Buffer.from(`${apiLog}2024-03-14T09:10:00Z stdout REKEYED-LINE\n`) },
    });
    const answer = await post('rekeyed', upload, readFileSync(other.path));
    const id = answer.body.id as string;
    const done = await waitForBundle(collector, read, id);
    expect(done.status).toBe('quarantined');
    expect(done.error?.code).toBe('COLLECTOR_ERR_SITE_KEY_CHANGED');
    expect((await api(collector, read, '/api/v1/search?q=REKEYED')).body.total).toBe(0);

    const admin = await collector.token('acme', 'admin');
    const refused = await api(collector, read, '/api/v1/site-keys/accept', {
      method: 'POST',
      body: JSON.stringify({ site: 'bank-host-01' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(refused.status).toBe(400);
    const accepted = await api(collector, admin, '/api/v1/site-keys/accept', {
      method: 'POST',
      body: JSON.stringify({ site: 'bank-host-01' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ bundle: id, fingerprint: other.key.fingerprint });
    expect((await waitForBundle(collector, read, id)).status).toBe('indexed');
    expect((await api(collector, read, '/api/v1/search?q=REKEYED')).body.total).toBe(1);
    siteDataDir = other.dataDir;
  });

  it('quarantines a bundle in which a secret survived, naming the file and rule', async () => {
    // Signed by the site's own key (its data directory), so only the secret is wrong.
    const leaky = await buildBundle(tempDir('shiplog-collector-leak-'), {
      dataDir: siteDataDir,
      extra: {
        'containers/api/container.log': Buffer.from(
          `2024-03-14T09:00:00Z stdout loading key\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n`,
        ),
      },
    });
    // The leak is written past the sealer's redaction (make-bundle stages bytes as given).
    const answer = await post('leaky', upload, readFileSync(leaky.path), '?tenant=acme');
    const done = await waitForBundle(collector, read, answer.body.id as string);
    expect(done.status).toBe('quarantined');
    expect(done.error?.code).toBe('COLLECTOR_ERR_SECRET_FOUND');
    expect(done.error?.message).toContain('containers/api/container.log');
  });

  it('ingests a bundle file from disk through the same pipeline (the USB stick)', async () => {
    const usb = await buildBundle(tempDir('shiplog-collector-usb-'), {
      extra: { 'containers/api/container.log': Buffer.from('2024-03-14T11:00:00Z stdout FROM-THE-USB-STICK\n') },
    });
    const result = await shiplogCollector(['ingest', usb.path, '--tenant', 'initech'], { env: collector.env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/indexed, \d+ lines from bank-host-01/);
    const initech = await collector.token('initech', 'read');
    expect((await api(collector, initech, '/api/v1/search?q=FROM-THE-USB-STICK')).body.total).toBe(1);
    expect((await api(collector, read, '/api/v1/search?q=FROM-THE-USB-STICK')).body.total).toBe(0);
  });

  it('lists, shows and deletes bundles from the command line while serve runs, and deletion is audited', async () => {
    const listed = await shiplogCollector(['bundles', 'list', '--tenant', 'initech', '--json'], { env: collector.env });
    expect(listed.code, listed.stderr).toBe(0);
    const [bundle] = JSON.parse(listed.stdout) as { id: string; status: string }[];
    expect(bundle?.status).toBe('indexed');
    const shown = await shiplogCollector(['bundles', 'show', bundle?.id as string, '--json'], { env: collector.env });
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: bundle?.id,
      site: 'bank-host-01',
      receipt: { id: bundle?.id },
    });
    const deleted = await shiplogCollector(['bundles', 'delete', bundle?.id as string], { env: collector.env });
    expect(deleted.code, deleted.stderr).toBe(0);
    const initech = await collector.token('initech', 'read');
    expect((await api(collector, initech, '/api/v1/search?q=FROM-THE-USB-STICK')).body.total).toBe(0);
    expect((await api(collector, initech, `/api/v1/bundles/${bundle?.id}`)).status).toBe(404);
    const audit = await api(collector, collector.adminToken, '/api/v1/audit?action=delete');
    expect(audit.body.entries).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'delete', target: bundle?.id, tenant: 'initech' })]),
    );
  });

  it('says which other customers show the same finding, and only to tokens that may read them', async () => {
    const mine = await api(collector, read, '/api/v1/bundles?status=indexed');
    let oom: { analyzer: string; key: string } | undefined;
    for (const bundle of mine.body.bundles as { id: string }[]) {
      const findings = await api(collector, read, `/api/v1/bundles/${bundle.id}/findings`);
      oom ??= (findings.body.findings as { analyzer: string; key: string }[]).find((f) => f.analyzer === 'oom-killed');
    }
    expect(oom).toBeDefined();
    // Another customer runs the same service, a version apart, and hits the same.
    const theirs = await buildBundle(tempDir('shiplog-collector-globex-'), {
      extra: {
        ...extra,
        'containers/api/inspect.json': Buffer.from(
          JSON.stringify({ ...inspect, Config: { ...inspect.Config, Image: 'acme/api:2.4.0' } }),
        ),
      },
    });
    const globexUpload = await collector.token('globex', 'upload');
    const sent = await post('globex', globexUpload, readFileSync(theirs.path));
    expect((await waitForBundle(collector, otherRead, sent.body.id as string)).status).toBe('indexed');

    const key = encodeURIComponent(oom?.key as string);
    const ownOnly = await api(collector, read, `/api/v1/findings/elsewhere?key=${key}`);
    expect((ownOnly.body.sites as { tenant: string }[]).map((site) => site.tenant)).toEqual(['acme']);
    const staff = (
      await shiplogCollector(['token', 'create', '--role', 'staff', '--tenants', 'acme,globex'], { env: collector.env })
    ).stdout
      .trim()
      .split('\n')
      .at(-1) as string;
    const both = await api(collector, staff, `/api/v1/findings/elsewhere?key=${key}`);
    const sites = both.body.sites as { tenant: string; site: string; images: string[] }[];
    expect(sites.map((site) => site.tenant).sort()).toEqual(['acme', 'globex']);
    expect(sites.find((site) => site.tenant === 'globex')?.images).toEqual(['acme/api:2.4.0']);
    expect(sites.find((site) => site.tenant === 'acme')?.images).toEqual(['acme/api:2.3.1']);
  });

  it('prints no terminal control an uploader sent (the file name) in bundles list and show', async () => {
    const name = encodeURIComponent('\u001b[2Jbundle\r\nOK.tar.gz');
    const named = await buildBundle(tempDir('shiplog-collector-named-'), {
      dataDir: siteDataDir,
      extra: { 'containers/api/container.log': Buffer.from('2024-03-14T12:00:00Z stdout NAMED-UPLOAD\n') },
    });
    const sent = await post('named', upload, readFileSync(named.path), `?name=${name}`);
    expect(sent.body.created).toBe(true);
    const id = sent.body.id as string;
    await waitForBundle(collector, read, id);
    for (const args of [
      ['bundles', 'show', id],
      ['bundles', 'show', id, '--json'],
      ['bundles', 'list'],
    ]) {
      const result = await shiplogCollector(args, { env: collector.env });
      expect(result.code, args.join(' ')).toBe(0);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
      expect(result.stdout, args.join(' ')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
    const shown = await shiplogCollector(['bundles', 'show', id], { env: collector.env });
    expect(shown.stdout).toContain('original_name: \\x1b[2Jbundle\\x0d\\x0aOK.tar.gz');
  });
});
