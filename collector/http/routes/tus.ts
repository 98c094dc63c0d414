// Resumable uploads: the tus 1.0 protocol at /api/v1/uploads, served by
// @tus/server over a FileStore in incoming/tus/. Creation (POST with
// Upload-Length; Upload-Metadata `filename` is kept as the bundle's name),
// HEAD for the offset, PATCH to append, DELETE to give an upload up, and the
// expiration extension: an unfinished upload is gone 24 h after it was
// created (tus answers 410 from then on, and a sweep at start and every hour
// deletes its files).
//
// The /api hook has checked the Bearer token before tus sees a request. The
// id and tenant of the token that created an upload are written into the
// upload's metadata here on the server (whatever a client sent under those
// keys is replaced), and any other token gets 404 for that upload, as for
// one that does not exist.
//
// When the last byte arrives, the file is hashed, linked into the blob store
// and received as a bundle exactly like a plain upload. The final PATCH still
// answers tus's 204 and carries the outcome in headers:
//   Shiplog-Bundle-Id       the bundle's id
//   Shiplog-Bundle-Created  false when the same bytes had been received before
//   Shiplog-Receipt         base64 of the receipt JSON (a plain upload's `receipt`)
// For 24 h afterwards HEAD answers the same headers, with Upload-Offset equal
// to Upload-Length, so a client that lost the final answer learns the outcome
// without sending anything again.
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { basename, join } from 'node:path';
import { FileStore } from '@tus/file-store';
import { Metadata, Server as TusServer, Upload } from '@tus/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CodedError, isCodedError } from '../../../core/coded-error.ts';
import type { Principal } from '../../access/principal.ts';
import { collectorErrors } from '../../errors.ts';
import type { Receipt } from '../../receipts.ts';
import type { CollectorService } from '../../service.ts';
import { principalOf } from '../server.ts';
import { uploadTenant } from './bundles.ts';

/** How long an unfinished upload, and the outcome of a finished one, are kept. */
export const uploadLifetimeMs = 24 * 60 * 60 * 1000;
const sweepEveryMs = 60 * 60 * 1000;
/** @tus/server names uploads with 16 random bytes in hex. */
const uploadIdPattern = /^[0-9a-f]{32}$/;
const tokenKey = 'shiplog_token';
const tenantKey = 'shiplog_tenant';

/** What a finished upload became; kept in incoming/tus/finished/<id>.json. */
interface FinishedUpload {
  readonly id: string;
  readonly size: number;
  readonly metadata: Record<string, string | null>;
  readonly created_at: string;
  readonly bundle: string;
  readonly created: boolean;
  readonly receipt: Receipt;
}

interface Caller {
  readonly principal: Principal;
  readonly tenant: string;
}

/** A FileStore that still knows a finished upload (whose file became a blob) as complete. */
class UploadStore extends FileStore {
  readonly #finished: (id: string) => Promise<FinishedUpload | undefined>;

  constructor(directory: string, finished: (id: string) => Promise<FinishedUpload | undefined>) {
    super({ directory, expirationPeriodInMilliseconds: uploadLifetimeMs });
    this.#finished = finished;
  }

  override async getUpload(id: string): Promise<Upload> {
    const done = uploadIdPattern.test(id) ? await this.#finished(id) : undefined;
    if (!done) return super.getUpload(id);
    const { size, metadata, created_at } = done;
    return new Upload({ id, size, offset: size, metadata, creation_date: created_at });
  }
}

export async function tusRoutes(app: FastifyInstance, { service }: { service: CollectorService }): Promise<void> {
  const directory = join(service.setup.paths.incoming, 'tus');
  const finishedDir = join(directory, 'finished');
  mkdirSync(finishedDir, { recursive: true, mode: 0o700 });
  const readFinished = async (id: string): Promise<FinishedUpload | undefined> => {
    const text = await readFile(join(finishedDir, `${id}.json`), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (JSON.parse(text) as FinishedUpload);
  };
  const store = new UploadStore(directory, readFinished);
  const callers = new WeakMap<IncomingMessage, Caller>();
  const finishing = new Map<string, Promise<FinishedUpload>>();
  const limit = service.maxUploadBytes;

  const finish = async (upload: Upload, caller: Caller): Promise<FinishedUpload> => {
    const blob = await service.blobs.adoptFile(join(directory, upload.id));
    try {
      const name = upload.metadata?.filename ?? undefined;
      const received = await service.accept(blob, caller.tenant, caller.principal, name);
      const done: FinishedUpload = {
        id: upload.id,
        size: blob.size,
        metadata: upload.metadata ?? {},
        created_at: upload.creation_date ?? new Date().toISOString(),
        bundle: received.row.id,
        created: received.created,
        receipt: received.receipt,
      };
      await writeFile(join(finishedDir, `${upload.id}.json`), JSON.stringify(done), { mode: 0o600 });
      return done;
    } catch (error) {
      // Bytes that are no bundle never become one, so nothing else refers to their blob.
      const known = service.control.prepare('SELECT 1 FROM bundles WHERE sha256 = ? LIMIT 1').get(blob.sha256);
      if (!known) await service.blobs.remove(blob.sha256);
      throw error;
    } finally {
      await store.configstore.delete(upload.id).catch(() => {});
    }
  };

  const tus = new TusServer({
    path: `${app.prefix}/uploads`,
    datastore: store,
    maxSize: limit,
    // Relative: right behind a reverse proxy too; clients resolve it against the URL they posted to.
    relativeLocation: true,
    respectForwardedHeaders: false,
    exposedHeaders: ['Shiplog-Bundle-Id', 'Shiplog-Bundle-Created', 'Shiplog-Receipt'],
    async onUploadCreate(req, upload) {
      const caller = callerOf(callers, req);
      const filename = cleanName(upload.metadata?.filename);
      return {
        metadata: {
          ...(filename !== undefined && { filename }),
          [tenantKey]: caller.tenant,
          [tokenKey]: caller.principal.tokenId,
        },
      };
    },
    async onUploadFinish(req, upload) {
      const job = finish(upload, callerOf(callers, req));
      finishing.set(upload.id, job);
      try {
        return { headers: outcomeHeaders(await job) };
      } finally {
        finishing.delete(upload.id);
      }
    },
    onResponseError(_req, error) {
      const coded = tusError(error, limit);
      if (coded.code === collectorErrors.INTERNAL.code) app.log.error({ err: error }, 'tus request failed');
      return {
        status_code: statusOf(coded),
        body: JSON.stringify({ error: { code: coded.code, message: coded.message } }),
      };
    },
  });

  const handOver = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.hijack();
    try {
      await tus.handle(request.raw, reply.raw);
    } catch (error) {
      request.log.error({ err: error }, 'tus request failed');
      if (reply.raw.headersSent) reply.raw.destroy();
      else {
        const internal = new CodedError(collectorErrors.INTERNAL);
        reply.raw.writeHead(500, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ error: { code: internal.code, message: internal.message } }));
      }
    }
  };

  // tus reads the request itself: no parser may touch the body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  app.route({
    method: ['POST', 'OPTIONS'],
    url: '/uploads',
    handler: async (request, reply) => {
      const principal = principalOf(request);
      if (request.method === 'POST') {
        const tenant = uploadTenant(service, principal, (request.query as { tenant?: string }).tenant);
        const length = Number(request.headers['upload-length']);
        if (Number.isFinite(length) && length > limit) {
          throw new CodedError(collectorErrors.UPLOAD_TOO_LARGE, { limit: `${limit} bytes` });
        }
        callers.set(request.raw, { principal, tenant });
      }
      await handOver(request, reply);
    },
  });

  app.route({
    method: ['HEAD', 'PATCH', 'DELETE'],
    url: '/uploads/:id',
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params as { id: string };
      if (!uploadIdPattern.test(id)) throw notFound(id);
      await finishing.get(id)?.catch(() => {});
      const done = await readFinished(id);
      if (done) {
        if (done.metadata[tokenKey] !== principal.tokenId) throw notFound(id);
        return answerFinished(request, reply, done);
      }
      const upload = await store.configstore.get(id);
      const tenant = upload?.metadata?.[tenantKey];
      if (!upload || !tenant || upload.metadata?.[tokenKey] !== principal.tokenId) throw notFound(id);
      callers.set(request.raw, { principal, tenant });
      await handOver(request, reply);
    },
  });

  const sweep = () =>
    sweepUploads(directory).then(
      (removed) => removed > 0 && app.log.info({ removed }, 'expired uploads deleted'),
      (error: unknown) => app.log.warn({ err: error }, 'sweeping expired uploads failed'),
    );
  await sweep();
  const timer = setInterval(sweep, sweepEveryMs).unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

/** HEAD or PATCH on a finished upload: complete, with its outcome; it can no longer be given up. */
function answerFinished(request: FastifyRequest, reply: FastifyReply, done: FinishedUpload): FastifyReply {
  const size = String(done.size);
  if (request.method === 'DELETE') throw new CodedError(collectorErrors.UPLOAD_FINISHED, { bundle: done.bundle });
  if (request.method === 'PATCH' && request.headers['upload-offset'] !== size) {
    throw new CodedError(collectorErrors.UPLOAD_OFFSET_CONFLICT);
  }
  const visible = Object.fromEntries(Object.entries(done.metadata).filter(([key]) => key === 'filename'));
  return reply
    .code(request.method === 'HEAD' ? 200 : 204)
    .headers({
      'tus-resumable': '1.0.0',
      'cache-control': 'no-store',
      'upload-offset': size,
      ...(request.method === 'HEAD' && { 'upload-length': size }),
      ...(Object.keys(visible).length > 0 && { 'upload-metadata': Metadata.stringify(visible) }),
      ...outcomeHeaders(done),
    })
    .send();
}

function outcomeHeaders(done: FinishedUpload): Record<string, string> {
  return {
    'Shiplog-Bundle-Id': done.bundle,
    'Shiplog-Bundle-Created': String(done.created),
    'Shiplog-Receipt': Buffer.from(JSON.stringify(done.receipt)).toString('base64'),
  };
}

function callerOf(callers: WeakMap<IncomingMessage, Caller>, req: unknown): Caller {
  const raw = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
  const caller = raw ? callers.get(raw) : undefined;
  // The routes set it before tus runs; a request without one never reached tus through them.
  if (!caller) throw new CodedError(collectorErrors.TOKEN_MISSING);
  return caller;
}

/** The client's file name, as a plain base name a page can show. */
function cleanName(name: string | null | undefined): string | undefined {
  if (!name) return undefined;
  const clean = basename(name.replace(/\\/g, '/'))
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, '')
    .slice(0, 255);
  return clean === '' ? undefined : clean;
}

function notFound(id: string): CodedError {
  return new CodedError(collectorErrors.NOT_FOUND, { what: `upload ${id.slice(0, 64)}` });
}

/** tus's own errors (objects with status_code and body) as the registry's codes. */
function tusError(error: unknown, limit: number): CodedError {
  if (isCodedError(error)) return error;
  const { status_code: status, body } = error as { status_code?: number; body?: string };
  const detail = (body ?? '').trim().replace(/\.$/, '') || 'malformed';
  switch (status) {
    case 404:
      return new CodedError(collectorErrors.NOT_FOUND, { what: 'this upload' });
    case 409:
      return new CodedError(collectorErrors.UPLOAD_OFFSET_CONFLICT);
    case 410:
      return new CodedError(collectorErrors.UPLOAD_EXPIRED);
    case 413:
      return new CodedError(collectorErrors.UPLOAD_TOO_LARGE, { limit: `${limit} bytes` });
    case undefined:
      return new CodedError(collectorErrors.INTERNAL);
    default:
      return status >= 500
        ? new CodedError(collectorErrors.INTERNAL)
        : new CodedError(collectorErrors.REQUEST_INVALID, { detail: `${detail} (tus ${status})` });
  }
}

function statusOf(error: CodedError): number {
  const spec = Object.values(collectorErrors).find((entry) => entry.code === error.code);
  return spec?.status ?? 500;
}

/**
 * Deletes what expired in the tus directory: unfinished uploads created more
 * than `lifetimeMs` ago (both files, or whichever one is left after a crash)
 * and outcomes of finished uploads older than that. Returns how many
 * unfinished uploads went.
 */
export async function sweepUploads(
  directory: string,
  now = Date.now(),
  lifetimeMs = uploadLifetimeMs,
): Promise<number> {
  const names = new Set(await readdir(directory));
  const ids = new Set([...names].map((name) => name.replace(/\.json$/, '')).filter((id) => uploadIdPattern.test(id)));
  let removed = 0;
  for (const id of ids) {
    const info = names.has(`${id}.json`)
      ? await readFile(join(directory, `${id}.json`), 'utf8').then(
          (text) => JSON.parse(text) as { creation_date?: string },
          () => undefined,
        )
      : undefined;
    const created =
      Date.parse(info?.creation_date ?? '') || (await modified(join(directory, names.has(id) ? id : `${id}.json`)));
    if (created === undefined || now - created <= lifetimeMs) continue;
    await rm(join(directory, id), { force: true });
    await rm(join(directory, `${id}.json`), { force: true });
    removed += 1;
  }
  const finishedDir = join(directory, 'finished');
  for (const name of await readdir(finishedDir).catch(() => [] as string[])) {
    const at = await modified(join(finishedDir, name));
    if (at !== undefined && now - at > lifetimeMs) await rm(join(finishedDir, name), { force: true });
  }
  return removed;
}

async function modified(path: string): Promise<number | undefined> {
  return stat(path).then(
    (info) => info.mtimeMs,
    () => undefined,
  );
}
