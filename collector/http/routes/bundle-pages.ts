// What the bundle page shows of one bundle, beyond its status: the overview
// (manifest, SUMMARY.txt's traffic lights, host and container facts, the
// redaction report, findings, and the two clocks), the list of its files,
// and pages of a text file for the viewer. Paths are looked up in the
// verified manifest's list, never joined from what the request says, so no
// request reaches a file the bundle did not list.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CodedError } from '../../../core/coded-error.ts';
import type { BundleManifest } from '../../../schemas/bundle-manifest.ts';
import { recordAudit } from '../../access/audit.ts';
import { listFindings } from '../../analyze/index.ts';
import { collectorErrors } from '../../errors.ts';
import type { CollectorService } from '../../service.ts';
import type { BundleRow } from '../../store/bundles.ts';
import { maxPageLines, readTextPage } from '../../text-pages.ts';
import { principalOf } from '../server.ts';
import { bundleAnswer, readableBundle } from './bundles.ts';

const summaryLevels = new Set(['GREEN', 'AMBER', 'RED']);

export async function bundlePageRoutes(app: FastifyInstance, { service }: { service: CollectorService }) {
  app.get('/bundles/:id/overview', async (request) => {
    const principal = principalOf(request);
    const row = readableBundle(service, principal, (request.params as { id: string }).id);
    recordAudit(service.control, { actor: principal, tenant: row.tenant, action: 'view', target: row.id });
    const manifest = manifestOf(row);
    const facts = row.facts ? JSON.parse(row.facts) : undefined;
    return {
      bundle: bundleAnswer(row),
      ...(manifest && {
        manifest: {
          created_at: manifest.created_at,
          tool: manifest.tool,
          host: manifest.host,
          window: manifest.window,
          collectors: manifest.collectors.map(({ files: _files, ...run }) => run),
          redaction: manifest.redaction,
          truncations: manifest.truncations,
          files: manifest.files.length,
        },
      }),
      ...(facts && { facts }),
      summary: await summaryLines(service, row),
      findings: listFindings(service.control, row.id),
      clock: clockOf(row),
      files_available: row.status === 'indexed',
    };
  });

  app.get('/bundles/:id/files', async (request) => {
    const row = readableBundle(service, principalOf(request), (request.params as { id: string }).id);
    const manifest = manifestOf(row);
    return {
      available: row.status === 'indexed',
      files: (manifest?.files ?? []).map((file) => ({
        path: file.path,
        size: file.size,
        ...(file.collector !== undefined && { collector: file.collector }),
        ...(file.redactions !== undefined && { redactions: file.redactions }),
      })),
    };
  });

  app.get('/bundles/:id/file', async (request) => {
    const principal = principalOf(request);
    const row = readableBundle(service, principal, (request.params as { id: string }).id);
    const query = request.query as { path?: string; line?: string; lines?: string };
    const file = manifestOf(row)?.files.find((entry) => entry.path === query.path);
    if (!file) throw new CodedError(collectorErrors.NOT_FOUND, { what: `file ${JSON.stringify(query.path ?? '')}` });
    if (row.status !== 'indexed') {
      throw new CodedError(collectorErrors.NOT_FOUND, { what: `the files of bundle ${row.id} (it is ${row.status})` });
    }
    const first = Math.max(1, Math.floor(Number(query.line ?? 1)) || 1);
    const count = Math.min(maxPageLines, Math.max(1, Math.floor(Number(query.lines ?? 500)) || 500));
    const page = await readTextPage(join(unpackedDir(service, row), file.path), first, count);
    if (first === 1) {
      recordAudit(service.control, {
        actor: principal,
        tenant: row.tenant,
        action: 'view',
        target: row.id,
        detail: { path: file.path },
      });
    }
    return { path: file.path, size: file.size, first, ...page };
  });
}

function manifestOf(row: BundleRow): BundleManifest | undefined {
  return row.manifest ? (JSON.parse(row.manifest) as BundleManifest) : undefined;
}

export function unpackedDir(service: CollectorService, row: BundleRow): string {
  return join(service.setup.paths.unpacked, row.tenant, row.id);
}

/** SUMMARY.txt's traffic lights ("RED    text" lines under "Findings"), as the agent wrote them. */
async function summaryLines(service: CollectorService, row: BundleRow) {
  if (row.status !== 'indexed') return [];
  const text = await readFile(join(unpackedDir(service, row), 'SUMMARY.txt'), 'utf8').catch(() => '');
  const lines: { level: string; text: string }[] = [];
  let inFindings = false;
  for (const line of text.split('\n').slice(0, 2000)) {
    if (line === 'Findings') inFindings = true;
    else if (inFindings && line === '') break;
    else if (inFindings) {
      const level = line.slice(0, 6).trim();
      if (summaryLevels.has(level)) lines.push({ level, text: line.slice(7).trim() });
      else if (lines.length > 0) {
        const last = lines[lines.length - 1] as { level: string; text: string };
        last.text = `${last.text} ${line.trim()}`;
      }
    }
  }
  return lines;
}

/**
 * The host's clock against the collector's: the bundle says when it was made
 * (host clock), the collector when it received it (its own). A bundle made
 * "after" it arrived proves the host's clock runs ahead by at least the
 * difference; that is the offset the timeline can correct by. A bundle made
 * before it arrived proves nothing (the upload may have waited).
 */
function clockOf(row: BundleRow) {
  const made = row.created_at ? Date.parse(row.created_at) : Number.NaN;
  const received = Date.parse(row.received_at);
  const gap = made - received;
  return {
    created_at: row.created_at,
    received_at: row.received_at,
    ...(Number.isFinite(gap) && { host_ahead_ms: Math.max(gap, 0), received_after_ms: Math.max(-gap, 0) }),
  };
}
