// Bundles: upload (the raw request body, streamed to disk and hashed as it
// arrives), status, list, receipt, download and delete. An upload token sees
// only the status of what it uploaded itself; a bundle another token may not
// see answers 404, as one that does not exist.

import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CodedError } from '../../../core/coded-error.ts';
import { recordAudit } from '../../access/audit.ts';
import { everyTenant, forbidden, type Principal } from '../../access/principal.ts';
import { requireTenant } from '../../access/tenants.ts';
import { listFindings } from '../../analyze/index.ts';
import { BodyTooLarge } from '../../blobs/store.ts';
import { collectorErrors } from '../../errors.ts';
import type { CollectorService } from '../../service.ts';
import { type BundleRow, type BundleStatus, getBundle, listBundles, setStatus } from '../../store/bundles.ts';
import { principalOf } from '../server.ts';

export async function bundleRoutes(app: FastifyInstance, { service }: { service: CollectorService }): Promise<void> {
  await app.register(uploadRoute, { service });

  app.get('/bundles/:id', async (request) => {
    const row = visibleBundle(service, principalOf(request), (request.params as { id: string }).id);
    return bundleAnswer(row);
  });

  app.get('/bundles/:id/findings', async (request) => {
    const principal = principalOf(request);
    const row = readableBundle(service, principal, (request.params as { id: string }).id);
    recordAudit(service.control, { actor: principal, tenant: row.tenant, action: 'view', target: row.id });
    return { findings: listFindings(service.control, row.id) };
  });

  app.get('/bundles/:id/receipt', async (request) => {
    const row = visibleBundle(service, principalOf(request), (request.params as { id: string }).id);
    return row.receipt ? JSON.parse(row.receipt) : {};
  });

  app.get('/bundles', async (request) => {
    const principal = principalOf(request);
    const query = request.query as { tenant?: string; site?: string; status?: string; limit?: string };
    const tenants = readableTenants(principal, query.tenant);
    const limit = Math.min(1000, Math.max(1, Number(query.limit ?? 100) || 100));
    const rows = listBundles(service.control, {
      tenants,
      limit,
      ...(query.site !== undefined && { site: query.site }),
      ...(query.status !== undefined && { status: query.status as BundleStatus }),
    });
    return { bundles: rows.map(bundleAnswer) };
  });

  app.get('/bundles/:id/download', async (request, reply) => {
    const principal = principalOf(request);
    const row = readableBundle(service, principal, (request.params as { id: string }).id);
    recordAudit(service.control, { actor: principal, tenant: row.tenant, action: 'download', target: row.id });
    const name = (row.original_name ?? `${row.id}.bundle`).replace(/[^A-Za-z0-9._-]/g, '_');
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('content-length', row.size)
      .send(createReadStream(service.blobs.pathOf(row.sha256)));
  });

  app.delete('/bundles/:id', async (request) => {
    const principal = principalOf(request);
    const row = readableBundle(service, principal, (request.params as { id: string }).id);
    if (!principal.canAdmin(row.tenant)) throw forbidden(principal, 'delete bundles');
    await deleteBundle(service, row);
    recordAudit(service.control, { actor: principal, tenant: row.tenant, action: 'delete', target: row.id });
    return { id: row.id, status: 'deleted' };
  });
}

/** Deletes a bundle's index entries, unpacked files and (when no other bundle shares it) its blob. */
export async function deleteBundle(service: CollectorService, row: BundleRow): Promise<void> {
  await service.index.deleteBundle(row.tenant, row.id);
  await rm(join(service.setup.paths.unpacked, row.tenant, row.id), { recursive: true, force: true });
  setStatus(service.control, row.id, 'deleted');
  service.control.prepare(`DELETE FROM jobs WHERE bundle = ?`).run(row.id);
  const others = service.control
    .prepare(`SELECT COUNT(*) AS n FROM bundles WHERE sha256 = ? AND status != 'deleted'`)
    .get(row.sha256) as { n: number };
  if (others.n === 0) await service.blobs.remove(row.sha256);
}

async function uploadRoute(app: FastifyInstance, { service }: { service: CollectorService }): Promise<void> {
  // The body is the bundle: no parser reads it; the handler streams request.raw to the blob store.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.post('/bundles', async (request, reply) => {
    const principal = principalOf(request);
    const query = request.query as { tenant?: string; name?: string };
    const tenant = uploadTenant(service, principal, query.tenant);
    const length = Number(request.headers['content-length']);
    if (Number.isFinite(length) && length > service.maxUploadBytes) {
      request.raw.resume();
      throw new CodedError(collectorErrors.UPLOAD_TOO_LARGE, { limit: `${service.maxUploadBytes} bytes` });
    }
    const blob = await receiveBody(service, request);
    const received = await service.accept(blob, tenant, principal, query.name);
    return reply.code(received.created ? 201 : 200).send({
      id: received.row.id,
      sha256: received.row.sha256,
      size: received.row.size,
      status: received.row.status,
      created: received.created,
      receipt: received.receipt,
    });
  });
}

async function receiveBody(service: CollectorService, request: FastifyRequest) {
  try {
    return await service.blobs.receive(request.raw, service.maxUploadBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      throw new CodedError(collectorErrors.UPLOAD_TOO_LARGE, { limit: `${service.maxUploadBytes} bytes` });
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EACCES' || code === 'EROFS') {
      throw new CodedError(collectorErrors.STORAGE, { detail: code });
    }
    throw new CodedError(collectorErrors.UPLOAD_INTERRUPTED, { detail: code ?? (error as Error).message });
  }
}

/**
 * The tenant an upload goes to: the token's own; a global admin names one
 * with ?tenant=, which must exist (tenants are made on purpose, never by a typo).
 */
export function uploadTenant(service: CollectorService, principal: Principal, asked: string | undefined): string {
  const tenant = principal.tenant !== null && principal.tenant !== everyTenant ? principal.tenant : asked;
  if (tenant === undefined) {
    throw new CodedError(collectorErrors.REQUEST_INVALID, {
      detail: 'this token serves several tenants: add ?tenant=NAME',
    });
  }
  if (asked !== undefined && asked !== tenant) {
    throw forbidden(principal, `upload to tenant ${asked}`);
  }
  if (!principal.canUpload(tenant)) {
    throw forbidden(principal, 'upload bundles');
  }
  requireTenant(service.control, tenant);
  return tenant;
}

/** The tenants a read request covers: all the token may read, or the one asked for if it may. */
export function readableTenants(principal: Principal, asked: string | undefined): readonly string[] {
  if (principal.readable.length === 0) throw forbidden(principal, 'read bundles or search');
  if (asked === undefined) return principal.readable;
  if (!principal.canRead(asked)) throw new CodedError(collectorErrors.NOT_FOUND, { what: `tenant ${asked}` });
  return [asked];
}

function visibleBundle(service: CollectorService, principal: Principal, id: string): BundleRow {
  const row = getBundle(service.control, id);
  if (
    !row ||
    row.status === 'deleted' ||
    !principal.canSeeUpload({ tenant: row.tenant, uploadedBy: row.uploaded_by })
  ) {
    throw new CodedError(collectorErrors.NOT_FOUND, { what: `bundle ${id}` });
  }
  return row;
}

export function readableBundle(service: CollectorService, principal: Principal, id: string): BundleRow {
  const row = getBundle(service.control, id);
  if (!row || row.status === 'deleted' || !principal.canRead(row.tenant)) {
    throw new CodedError(collectorErrors.NOT_FOUND, { what: `bundle ${id}` });
  }
  return row;
}

export function bundleAnswer(row: BundleRow) {
  return {
    id: row.id,
    tenant: row.tenant,
    status: row.status,
    ...(row.error_code && { error: { code: row.error_code, message: row.error_message ?? '' } }),
    sha256: row.sha256,
    size: row.size,
    received_at: row.received_at,
    ...(row.original_name && { original_name: row.original_name }),
    ...(row.site && { site: row.site }),
    ...(row.created_at && { created_at: row.created_at }),
    ...(row.signer && { signer: row.signer }),
    ...(row.encrypted !== null && { encrypted: row.encrypted === 1 }),
    ...(row.lines !== null && { lines: row.lines }),
    ...(row.indexed_at && { indexed_at: row.indexed_at }),
  };
}
