// The collector's HTTP app (fastify 5): the JSON API under /api/v1 and
// /healthz. Every /api route needs `Authorization: Bearer TOKEN`; the tenant
// a request acts on comes from that token on the server (or, for tokens that
// may read several tenants, is checked against them), never from the client
// alone. Errors answer JSON `{error: {code, message}}` with the status of the
// code's registry entry; a malformed query is a 400, never a 500.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CodedError, isCodedError } from '../../core/coded-error.ts';
import type { Principal } from '../access/principal.ts';
import { authenticate } from '../access/tokens.ts';
import { collectorErrors } from '../errors.ts';
import { QueryError } from '../index/types.ts';
import type { CollectorService } from '../service.ts';
import { adminRoutes } from './routes/admin.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { searchRoutes } from './routes/search.ts';
import { tusRoutes } from './routes/tus.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

const statusOf = new Map<string, number>(Object.values(collectorErrors).map((spec) => [spec.code, spec.status]));

export interface ServerOptions {
  readonly service: CollectorService;
  /** Log requests (serve); tests leave it off. */
  readonly logger?: boolean;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { service } = options;
  const app = Fastify({
    logger: options.logger ? { level: service.setup.config.log_level } : false,
    // Bodies are bundles: they stream to disk in the upload route, never through a parser with a limit.
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    disableRequestLogging: !options.logger,
  });

  app.setErrorHandler((error, request, reply) => sendError(reply, error, request));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new CodedError(collectorErrors.NOT_FOUND, { what: `${request.method} ${request.url}` }), request),
  );

  app.get('/healthz', async (_request, reply) => {
    const indexOk = await service.index.healthy().catch(() => false);
    let controlOk = true;
    try {
      service.control.prepare('SELECT 1').get();
    } catch {
      controlOk = false;
    }
    const ok = indexOk && controlOk;
    return reply
      .code(ok ? 200 : 503)
      .send({ ok, index: indexOk ? 'ok' : 'unavailable', control: controlOk ? 'ok' : 'unavailable' });
  });

  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request) => {
        request.principal = authenticate(service.control, bearer(request));
      });
      await api.register(bundleRoutes, { service });
      await api.register(searchRoutes, { service });
      await api.register(adminRoutes, { service });
      await api.register(tusRoutes, { service });
    },
    { prefix: '/api/v1' },
  );
  return app;
}

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) throw new CodedError(collectorErrors.TOKEN_MISSING);
  return match[1] as string;
}

/** The principal of an authenticated /api request. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new CodedError(collectorErrors.TOKEN_MISSING);
  return request.principal;
}

export function sendError(reply: FastifyReply, error: unknown, request?: FastifyRequest): FastifyReply {
  if (isCodedError(error)) {
    return reply.code(statusOf.get(error.code) ?? 500).send({ error: { code: error.code, message: error.message } });
  }
  if (error instanceof QueryError) {
    const coded = new CodedError(collectorErrors.QUERY_INVALID, {
      detail: `${error.message} (at character ${error.at})`,
    });
    return reply.code(400).send({ error: { code: coded.code, message: coded.message } });
  }
  const fastifyError = error as { validation?: unknown; statusCode?: number; message?: string; code?: string };
  if (fastifyError.validation || (fastifyError.statusCode && fastifyError.statusCode < 500)) {
    const coded = new CodedError(collectorErrors.REQUEST_INVALID, { detail: fastifyError.message ?? 'malformed' });
    return reply.code(fastifyError.statusCode ?? 400).send({ error: { code: coded.code, message: coded.message } });
  }
  request?.log.error({ err: error }, 'request failed');
  const internal = new CodedError(collectorErrors.INTERNAL);
  return reply.code(500).send({ error: { code: internal.code, message: internal.message } });
}
