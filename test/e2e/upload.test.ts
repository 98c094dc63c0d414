// Resumable uploads as a site and a vendor meet them: a real
// `shiplog-collector serve`, `shiplog upload` and `shiplog dump --upload` as
// separate processes, a TCP proxy between them that breaks the connection
// where the test says, and the tus endpoint spoken to directly with fetch
// (issue #11, items 2 and 13).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, shiplog } from '../helpers/cli.ts';
import { api, type RunningCollector, startCollector, waitForBundle } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp.ts';
import { buildBundle } from '../unit/agent/bundle/seal/make-bundle.ts';

const dir = tempDir('shiplog-upload-e2e-');
let collector: RunningCollector;
let upload: string;
let otherUpload: string;
let globexUpload: string;
let read: string;
let small: string;
let large: string;
let largeBytes: Buffer;

beforeAll(async () => {
  collector = await startCollector();
  [upload, otherUpload, globexUpload, read] = await Promise.all([
    collector.token('acme', 'upload'),
    collector.token('acme', 'upload'),
    collector.token('globex', 'upload'),
    collector.token('acme', 'read'),
  ]);
  small = (await buildBundle(join(dir), { name: 'small.tar.gz' })).path;
  // Random bytes do not compress: a bundle of about 1.5 MB, so that there is a middle to break in.
  large = (await buildBundle(dir, { name: 'large.tar.gz', extra: { 'host/noise.bin': randomBytes(1_500_000) } })).path;
  largeBytes = readFileSync(large);
}, 60_000);

afterAll(async () => {
  await collector?.stop();
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** `shiplog upload FILE URL` with the token in SHIPLOG_UPLOAD_TOKEN. */
function uploadCommand(file: string, url: string, token: string | undefined, extra: string[] = []) {
  return shiplog(['upload', file, url, ...extra], {
    env: token === undefined ? { SHIPLOG_UPLOAD_TOKEN: '' } : { SHIPLOG_UPLOAD_TOKEN: token },
    cwd: dir,
  });
}

/** A copy of `file` in a directory of its own: no resume state or receipt from another test. */
function freshCopy(file: string): string {
  const copy = join(tempDir('shiplog-upload-copy-'), 'bundle.tar.gz');
  copyFileSync(file, copy);
  return copy;
}

/** The bundle id, SHA-256 and key fingerprint of the summary line. */
function summary(stdout: string): { id: string; sha256: string; key: string } {
  const match =
    /as bundle (b[0-9a-f]{24})(?: \(the portal had these bytes already\))?: SHA-256 ([0-9a-f]{64}), receipt signed by the portal's key (SHA256:\S+)\.\n/.exec(
      stdout,
    );
  if (!match) throw new Error(`no summary line in:\n${stdout}`);
  return { id: match[1] as string, sha256: match[2] as string, key: match[3] as string };
}

describe('shiplog upload', () => {
  it('sends a bundle, prints and keeps a receipt that ssh-keygen accepts, and the bundle gets indexed', async () => {
    const file = freshCopy(small);
    const result = await uploadCommand(file, collector.url, upload);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const { id, sha256: hash, key } = summary(result.stdout);
    expect(hash).toBe(sha256(readFileSync(file)));
    expect(`${result.stdout}${result.stderr}`).not.toContain(upload);

    const receipt = JSON.parse(readFileSync(`${file}.receipt.json`, 'utf8'));
    expect(receipt).toMatchObject({ id, sha256: hash, size: statSync(file).size, tenant: 'acme', collector_key: key });
    expect(readFileSync(`${file}.receipt.sig`, 'utf8')).toBe(receipt.signature);
    expect(existsSync(`${file}.upload.json`)).toBe(false);

    // The check the second line prints, run as printed, with the collector's public key as the vendor hands it out.
    const publicKey = readFileSync(join(collector.dataDir, 'keys', 'bundle-signing.pub'), 'utf8').trim();
    const checkDir = join(file, '..');
    writeFileSync(
      join(checkDir, 'portal_allowed_signers'),
      `shiplog-collector namespaces="shiplog-receipt" ${publicKey}\n`,
    );
    const command = (lines[1] as string).replace(/^.*and run: /, '');
    expect(command).toContain('ssh-keygen -Y verify');
    const check = spawnSync('sh', ['-c', command], { cwd: checkDir, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain('Good "shiplog-receipt" signature for shiplog-collector');
    expect(check.status).toBe(0);

    const bundle = await waitForBundle(collector, read, id);
    expect(bundle).toMatchObject({ status: 'indexed', sha256: hash, original_name: 'bundle.tar.gz' });

    // The same bytes again: the same bundle, said so.
    const again = await uploadCommand(freshCopy(small), collector.url, upload);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('(the portal had these bytes already)');
    expect(summary(again.stdout).id).toBe(id);
  });

  it('refuses with advice and a stable code: no token, a refused token, a file that is no bundle', async () => {
    const file = freshCopy(small);
    const none = await uploadCommand(file, collector.url, undefined);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('[SHIPLOG_ERR_UPLOAD_NO_TOKEN]');

    const unknown = `slc_${randomBytes(32).toString('base64url')}`;
    const refused = await uploadCommand(file, collector.url, unknown);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[SHIPLOG_ERR_UPLOAD_TOKEN_REFUSED]');
    expect(refused.stderr).toContain('COLLECTOR_ERR_TOKEN_UNKNOWN');
    expect(refused.stderr).not.toContain(unknown);

    const reader = await uploadCommand(file, collector.url, read);
    expect(reader.stderr).toContain('[SHIPLOG_ERR_UPLOAD_TOKEN_REFUSED]');
    expect(reader.stderr).toContain('COLLECTOR_ERR_FORBIDDEN');

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'these are notes, not a bundle\n');
    const notBundle = await uploadCommand(text, collector.url, upload);
    expect(notBundle.code).toBe(1);
    expect(notBundle.stderr).toContain('[SHIPLOG_ERR_UPLOAD_NOT_A_BUNDLE]');

    // A token file works the same as the variable; the variable is not needed then.
    const tokenFile = join(dir, 'upload.token');
    writeFileSync(tokenFile, `${upload}\n`, { mode: 0o600 });
    const fromFile = await uploadCommand(file, collector.url, undefined, ['--token-file', tokenFile]);
    expect(fromFile.code).toBe(0);
  });

  it('explains itself with --help, and so does dump --upload', async () => {
    const help = await shiplog(['upload', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: shiplog upload BUNDLE URL [--token-file FILE]');
    expect(help.stdout).toContain('SHIPLOG_UPLOAD_TOKEN');
    const dumpHelp = await shiplog(['dump', '--help']);
    expect(dumpHelp.stdout).toContain('--upload URL');
    const usage = await shiplog(['upload', small]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('SHIPLOG_ERR_USAGE');
  });
});

describe('shiplog dump --upload', () => {
  it('uploads the bundle once it is released and keeps the receipt beside it', async () => {
    const work = tempDir('shiplog-dump-upload-');
    const messages = join(work, 'messages');
    writeFileSync(messages, `${new Date().toISOString()} app-01 ledger[7]: entry posted 42\n`);
    writeFileSync(join(work, 'agent.yml'), `sources:\n  files:\n    paths: [${messages}]\n`);
    const out = join(work, 'site.tar.gz');
    const result = await shiplog(
      ['dump', '--config', join(work, 'agent.yml'), '--out', out, '--upload', collector.url],
      {
        env: {
          SHIPLOG_DATA_DIR: join(work, 'data'),
          DOCKER_HOST: `unix://${join(work, 'no-docker.sock')}`,
          SHIPLOG_UPLOAD_TOKEN: upload,
        },
        cwd: work,
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${out}\n`);
    const { id, sha256: hash } = summary(`${result.stderr}`);
    expect(hash).toBe(sha256(readFileSync(out)));
    expect(JSON.parse(readFileSync(`${out}.receipt.json`, 'utf8')).id).toBe(id);
    expect(result.stderr).not.toContain(upload);
    // End to end: the site's line is found at the vendor.
    expect((await waitForBundle(collector, read, id)).status).toBe('indexed');
    const search = await api(collector, read, `/api/v1/search?q=${encodeURIComponent('"entry posted 42"')}`);
    expect(search.body.total).toBe(1);
    expect((search.body.hits as { bundle: string }[])[0]?.bundle).toBe(id);
  });

  it('checks the token before building anything', async () => {
    const result = await shiplog(['dump', '--upload', collector.url], { env: { SHIPLOG_UPLOAD_TOKEN: '' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[SHIPLOG_ERR_UPLOAD_NO_TOKEN]');
    expect(result.stderr).not.toMatch(/collecting|writing, signing/);
  });
});

/**
 * A TCP proxy between `shiplog upload` and the collector that passes bytes on
 * until told otherwise: cut the connection at a byte, refuse every
 * connection after that until healed, or hold the client's bytes (a stall).
 * It counts what reached the collector and notes each request's head.
 */
class FlakyProxy {
  /** Bytes from the client that reached the collector. */
  forwarded = 0;
  readonly requests: Array<{ method: string; offset: number | undefined }> = [];
  stalled = false;
  url = '';
  #server: Server | undefined;
  #cutAt: number | undefined;
  #stallAt: number | undefined;
  #downAfterCut = false;
  #down = false;
  readonly #held = new Set<Socket>();
  readonly #target: number;

  constructor(target: number) {
    this.#target = target;
  }

  async start(): Promise<void> {
    this.#server = createServer((client) => this.#connection(client));
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  /** Cuts the connection once, when `forwarded` reaches `at`; with `down`, refuses all after that. */
  cut(at: number, options: { down?: boolean } = {}): void {
    this.#cutAt = at;
    this.#downAfterCut = options.down === true;
  }

  stall(at: number): void {
    this.#stallAt = at;
  }

  heal(): void {
    this.#down = false;
    this.#cutAt = undefined;
    this.#stallAt = undefined;
    this.stalled = false;
    for (const socket of this.#held) socket.destroy();
    this.#held.clear();
  }

  reset(): void {
    this.forwarded = 0;
    this.requests.length = 0;
  }

  close(): void {
    this.heal();
    this.#server?.close();
  }

  #connection(client: Socket): void {
    if (this.#down) {
      client.destroy();
      return;
    }
    const upstream = connect(this.#target, '127.0.0.1');
    let head = '';
    let headDone = false;
    client.on('data', (chunk: Buffer) => {
      if (!headDone) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end >= 0) {
          headDone = true;
          const offset = /\r\nupload-offset:\s*(\d+)/i.exec(head.slice(0, end))?.[1];
          this.requests.push({
            method: head.slice(0, head.indexOf(' ')),
            offset: offset === undefined ? undefined : Number(offset),
          });
        }
      }
      const limit = this.#cutAt ?? this.#stallAt;
      if (limit === undefined || this.forwarded + chunk.length < limit) {
        this.forwarded += chunk.length;
        upstream.write(chunk);
        return;
      }
      const part = chunk.subarray(0, Math.max(0, limit - this.forwarded));
      this.forwarded += part.length;
      if (this.#cutAt !== undefined) {
        this.#cutAt = undefined;
        this.#down = this.#downAfterCut;
        upstream.end(part);
        client.destroy();
        return;
      }
      upstream.write(part);
      client.pause();
      this.stalled = true;
      this.#held.add(client);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  }
}

describe('resuming a broken upload', () => {
  let proxy: FlakyProxy;
  let bundleId: string;

  beforeAll(async () => {
    proxy = new FlakyProxy(Number(new URL(collector.url).port));
    await proxy.start();
    // The bundle these bytes make, uploaded once without trouble: every resumed upload must answer it.
    const first = await uploadCommand(freshCopy(large), collector.url, upload);
    expect(first.code).toBe(0);
    bundleId = summary(first.stdout).id;
  }, 60_000);

  afterAll(() => proxy?.close());

  const patches = () => proxy.requests.filter((request) => request.method === 'PATCH');
  /**
   * Bytes the collector may have received but not kept when a PATCH broke: @tus/server drops what is still in its
   * stream buffers on the way to the file (about 100 KiB seen here). The tus offset is what it kept.
   */
  const lostInFlight = 256 * 1024;

  // Where to cut, in bytes the collector received (request heads included), given the bundle's size.
  it.each([
    ['inside the creation request', () => 100],
    ['early in the body', () => 200_000],
    ['in the middle', (size: number) => Math.floor(size / 2)],
    ['just before the end', (size: number) => size - 1000],
  ])('retries a connection cut %s and sends only what the collector lacks', async (_where, where) => {
    const at = where(largeBytes.length);
    proxy.reset();
    proxy.cut(at);
    const result = await uploadCommand(freshCopy(large), proxy.url, upload);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Upload interrupted');
    expect(summary(result.stdout).id).toBe(bundleId);
    // The retry went on from the collector's offset: what it kept of the bytes before the cut (all but what
    // sat in its buffers when the connection broke) was not sent again, and nothing else went over the wire.
    const offset = patches().at(-1)?.offset ?? 0;
    if (at > 1000) {
      expect(offset).toBeGreaterThan(0);
      expect(offset).toBeGreaterThan(at - lostInFlight);
    }
    expect(proxy.forwarded).toBeLessThan(at + (largeBytes.length - offset) + 8 * 1024);
  });

  it('fails after its retries while the portal is unreachable, and the next run goes on from the offset', async () => {
    proxy.reset();
    proxy.cut(750_000, { down: true });
    const file = freshCopy(large);
    const failed = await uploadCommand(file, proxy.url, upload);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('[SHIPLOG_ERR_UPLOAD_UNREACHABLE]');
    expect(failed.stderr).toContain('it goes on from where it stopped');
    expect(statSync(`${file}.upload.json`).mode & 0o777).toBe(0o600);

    proxy.heal();
    proxy.reset();
    const resumed = await uploadCommand(file, proxy.url, upload);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/Resuming the earlier upload: the portal holds [\d.]+ KiB of 1\.\d MiB already/);
    expect(proxy.requests.map((request) => request.method)).toEqual(['HEAD', 'PATCH']);
    const offset = patches()[0]?.offset ?? 0;
    expect(offset).toBeGreaterThan(750_000 - lostInFlight);
    expect(proxy.forwarded).toBeLessThan(largeBytes.length - offset + 4096);
    expect(summary(resumed.stdout).id).toBe(bundleId);
    expect(existsSync(`${file}.upload.json`)).toBe(false);
  }, 60_000);

  it('goes on after the process was killed mid-upload', async () => {
    proxy.reset();
    proxy.stall(400_000);
    const file = freshCopy(large);
    const child: ChildProcess = spawn(
      join(repoRoot, 'node_modules/.bin/node'),
      [join(repoRoot, 'bin/shiplog.js'), 'upload', file, proxy.url],
      {
        env: { ...process.env, SHIPLOG_UPLOAD_TOKEN: upload },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await until(() => proxy.stalled && existsSync(`${file}.upload.json`));
    child.kill('SIGKILL');
    await exited;
    proxy.heal();
    proxy.reset();

    const resumed = await uploadCommand(file, proxy.url, upload);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('Resuming the earlier upload');
    const offset = patches()[0]?.offset ?? 0;
    expect(offset).toBeGreaterThan(400_000 - lostInFlight);
    expect(proxy.forwarded).toBeLessThan(largeBytes.length - offset + 4096);
    expect(summary(resumed.stdout).id).toBe(bundleId);
  });

  it('never made a second bundle of the same bytes', async () => {
    const { body } = await api(collector, read, '/api/v1/bundles?tenant=acme');
    const same = (body.bundles as Array<{ id: string; sha256: string }>).filter((b) => b.sha256 === sha256(largeBytes));
    expect(same.map((b) => b.id)).toEqual([bundleId]);
  });
});

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A tus request to the collector: status, headers and body text. */
async function tus(
  path: string,
  token: string | undefined,
  method: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<{ status: number; headers: Headers; text: string; code: string | undefined }> {
  const all = new Headers({ 'Tus-Resumable': '1.0.0', ...headers });
  if (token !== undefined) all.set('authorization', `Bearer ${token}`);
  const response = await fetch(`${collector.url}${path}`, { method, headers: all, ...(body && { body }) });
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, headers: response.headers, text, code };
}

async function created(token: string, length: number, name = 'x.tar.gz'): Promise<string> {
  const answer = await tus('/api/v1/uploads', token, 'POST', {
    'Upload-Length': String(length),
    'Upload-Metadata': `filename ${Buffer.from(name).toString('base64')}`,
  });
  expect(answer.status).toBe(201);
  const location = answer.headers.get('location') ?? '';
  expect(location).toMatch(/^\/api\/v1\/uploads\/[0-9a-f]{32}$/);
  return location;
}

const patch = (location: string, token: string, offset: number, bytes: Buffer) =>
  tus(
    location,
    token,
    'PATCH',
    { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
    bytes,
  );

describe('the tus endpoint', () => {
  it('needs a token that may upload, before tus sees the request', async () => {
    const none = await tus('/api/v1/uploads', undefined, 'POST', { 'Upload-Length': '10' });
    expect([none.status, none.code]).toEqual([401, 'COLLECTOR_ERR_TOKEN_MISSING']);
    const options = await tus('/api/v1/uploads', undefined, 'OPTIONS');
    expect(options.status).toBe(401);
    const reader = await tus('/api/v1/uploads', read, 'POST', { 'Upload-Length': '10' });
    expect([reader.status, reader.code]).toEqual([403, 'COLLECTOR_ERR_FORBIDDEN']);
    const discovery = await tus('/api/v1/uploads', upload, 'OPTIONS');
    expect(discovery.status).toBe(204);
    expect(discovery.headers.get('tus-version')).toBe('1.0.0');
    expect(discovery.headers.get('tus-extension')).toContain('expiration');
  });

  it("answers 404 to every token but the one that made an upload, and the owner's HEAD gives the offset", async () => {
    const location = await created(upload, largeBytes.length);
    expect((await patch(location, upload, 0, largeBytes.subarray(0, 1000))).status).toBe(204);
    for (const token of [globexUpload, otherUpload, read]) {
      for (const method of ['HEAD', 'DELETE']) expect((await tus(location, token, method)).status, method).toBe(404);
      const foreign = await patch(location, token, 1000, largeBytes.subarray(1000, 2000));
      expect([foreign.status, foreign.code]).toEqual([404, 'COLLECTOR_ERR_NOT_FOUND']);
    }
    const head = await tus(location, upload, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('1000');
    expect(head.headers.get('upload-length')).toBe(String(largeBytes.length));
    expect(head.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses an Upload-Length over the limit with 413 and a wrong Upload-Offset with 409', async () => {
    const tooLarge = await tus('/api/v1/uploads', upload, 'POST', { 'Upload-Length': String(64 * 1024 ** 3) });
    expect([tooLarge.status, tooLarge.code]).toEqual([413, 'COLLECTOR_ERR_UPLOAD_TOO_LARGE']);
    const location = await created(upload, largeBytes.length);
    const wrong = await patch(location, upload, 500, largeBytes.subarray(500, 1500));
    expect([wrong.status, wrong.code]).toEqual([409, 'COLLECTOR_ERR_UPLOAD_OFFSET_CONFLICT']);
    expect((await tus(location, upload, 'HEAD')).headers.get('upload-offset')).toBe('0');
  });

  it('answers the finished upload of bytes received before with the same bundle, in PATCH and in HEAD', async () => {
    const earlier = await uploadCommand(freshCopy(small), collector.url, upload);
    const { id } = summary(earlier.stdout);
    const bytes = readFileSync(small);
    const location = await created(otherUpload, bytes.length);
    const half = Math.floor(bytes.length / 2);
    expect((await patch(location, otherUpload, 0, bytes.subarray(0, half))).status).toBe(204);
    const last = await patch(location, otherUpload, half, bytes.subarray(half));
    expect(last.status).toBe(204);
    expect(last.headers.get('upload-offset')).toBe(String(bytes.length));
    expect(last.headers.get('shiplog-bundle-id')).toBe(id);
    expect(last.headers.get('shiplog-bundle-created')).toBe('false');
    const receipt = JSON.parse(Buffer.from(last.headers.get('shiplog-receipt') ?? '', 'base64').toString('utf8'));
    expect(receipt).toMatchObject({ id, sha256: sha256(bytes), size: bytes.length, tenant: 'acme' });

    const head = await tus(location, otherUpload, 'HEAD');
    expect(head.status).toBe(200);
    expect([head.headers.get('upload-offset'), head.headers.get('upload-length')]).toEqual([
      String(bytes.length),
      String(bytes.length),
    ]);
    expect(head.headers.get('shiplog-bundle-id')).toBe(id);
    expect((await tus(location, upload, 'HEAD')).status).toBe(404);
    const cancel = await tus(location, otherUpload, 'DELETE');
    expect([cancel.status, cancel.code]).toEqual([409, 'COLLECTOR_ERR_UPLOAD_FINISHED']);
  });

  it('gives an upload up on DELETE, and refuses bytes that are no bundle when they are complete', async () => {
    const location = await created(upload, 100);
    expect((await tus(location, upload, 'DELETE')).status).toBe(204);
    expect((await tus(location, upload, 'HEAD')).status).toBe(404);

    const text = Buffer.from('just some text, no bundle at all\n');
    const notes = await created(upload, text.length, 'notes.txt');
    const refused = await patch(notes, upload, 0, text);
    expect([refused.status, refused.code]).toEqual([415, 'COLLECTOR_ERR_UPLOAD_NOT_A_BUNDLE']);
    expect((await tus(notes, upload, 'HEAD')).status).toBe(404);
    const tusDir = join(collector.dataDir, 'incoming', 'tus');
    expect(readdirSync(tusDir).filter((name) => notes.endsWith(name.replace(/\.json$/, '')))).toEqual([]);
  });
});

describe('limits and expiry', () => {
  let limited: RunningCollector;
  let token: string;

  beforeAll(async () => {
    limited = await startCollector({ env: { SHIPLOG_COLLECTOR_UPLOAD_MAX_BYTES: '64KiB' } });
    token = await limited.token('acme', 'upload');
  }, 60_000);

  afterAll(async () => {
    await limited?.stop();
  });

  it('says a bundle is too large for the portal before sending it', async () => {
    const result = await uploadCommand(freshCopy(large), limited.url, token);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[SHIPLOG_ERR_UPLOAD_TOO_LARGE]');
    expect(result.stderr).toContain('shiplog dump --max-size');
  });

  it('expires an upload left unfinished for 24 hours: 410 at once, and its files are gone after a restart', async () => {
    const create = await fetch(`${limited.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', 'upload-length': '5000' },
    });
    expect(create.status).toBe(201);
    const location = create.headers.get('location') ?? '';
    const id = location.split('/').at(-1) as string;
    const tusDir = join(limited.dataDir, 'incoming', 'tus');
    const info = JSON.parse(readFileSync(join(tusDir, `${id}.json`), 'utf8'));
    info.creation_date = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
    writeFileSync(join(tusDir, `${id}.json`), JSON.stringify(info));

    const head = await fetch(`${limited.url}${location}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0' },
    });
    expect(head.status).toBe(410);

    await limited.stop();
    limited = await startCollector({ dataDir: limited.dataDir, env: { SHIPLOG_COLLECTOR_UPLOAD_MAX_BYTES: '64KiB' } });
    expect(readdirSync(tusDir).filter((name) => name.startsWith(id))).toEqual([]);
  });
});
