// The collector's HTTP app (fastify 5): the JSON API under /api/v1, the
// portal's pages and /healthz. Every /api route but signing in needs a
// credential: `Authorization: Bearer TOKEN` (scripts), or the session cookie
// of a signed-in page with, on every change, the session's CSRF token in
// X-CSRF-Token. The tenant a request acts on comes from that token on the
// server (or, for tokens that may read several tenants, is checked against
// them), never from the client alone. Errors answer JSON `{error: {code,
// message}}` with the status of the code's registry entry; a malformed query
// is a 400, never a 500.
import { readFileSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { CodedError, isCodedError } from '../../core/coded-error.ts';
import type { Principal } from '../access/principal.ts';
import { csrfMatches, findSession, type Session } from '../access/sessions.ts';
import { authenticate, principalOfToken } from '../access/tokens.ts';
import { collectorErrors } from '../errors.ts';
import { QueryError } from '../index/types.ts';
import type { CollectorService } from '../service.ts';
import { adminRoutes } from './routes/admin.ts';
import { bundlePageRoutes } from './routes/bundle-pages.ts';
import { bundleRoutes } from './routes/bundles.ts';
import { searchRoutes } from './routes/search.ts';
import { sessionRoutes, signInRoute } from './routes/session.ts';
import { siteRoutes } from './routes/sites.ts';
import { tusRoutes } from './routes/tus.ts';
import { securityHeaders, webRoutes } from './web.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The portal session a page's request came with (none for Bearer tokens). */
    session?: Session;
  }
}

/** The cookie a signed-in page holds. */
export const sessionCookie = 'shiplog_session';
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

const statusOf = new Map<string, number>(Object.values(collectorErrors).map((spec) => [spec.code, spec.status]));

export interface ServerOptions {
  readonly service: CollectorService;
  /** Log requests (serve); tests leave it off. */
  readonly logger?: boolean;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { service } = options;
  const tls = service.setup.config.tls;
  const app = Fastify({
    ...(tls && {
      https: {
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
        ...(tls.client_ca && { ca: readFileSync(tls.client_ca), requestCert: true, rejectUnauthorized: true }),
      },
    }),
    logger: options.logger ? { level: service.setup.config.log_level } : false,
    // Bodies are bundles: they stream to disk in the upload route, never through a parser with a limit.
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    disableRequestLogging: !options.logger,
  });

  await app.register(fastifyCookie);
  app.addHook('onSend', securityHeaders);
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

  const secure = tls !== undefined;
  await app.register(signInRoute, { service, secure, prefix: '/api/v1' });
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (request) => {
        request.principal = credential(service, request);
      });
      await api.register(sessionRoutes, { service, secure });
      await api.register(bundleRoutes, { service });
      await api.register(bundlePageRoutes, { service });
      await api.register(siteRoutes, { service });
      await api.register(searchRoutes, { service });
      await api.register(adminRoutes, { service });
      await api.register(tusRoutes, { service });
    },
    { prefix: '/api/v1' },
  );
  await app.register(webRoutes);
  return app;
}

/**
 * Who is asking: the Bearer token when the request has one, else the
 * session its cookie names, which for a change must come with the session's
 * CSRF token, and never from another site (Sec-Fetch-Site).
 */
function credential(service: CollectorService, request: FastifyRequest): Principal {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new CodedError(collectorErrors.TOKEN_MISSING);
    return authenticate(service.control, match[1] as string);
  }
  const cookie = request.cookies[sessionCookie];
  if (!cookie) throw new CodedError(collectorErrors.TOKEN_MISSING);
  const session = findSession(service.control, cookie);
  if (!session) throw new CodedError(collectorErrors.SESSION_ENDED);
  if (!safeMethods.has(request.method)) {
    const site = request.headers['sec-fetch-site'];
    if ((site !== undefined && site !== 'same-origin') || !csrfMatches(session, request.headers['x-csrf-token'])) {
      throw new CodedError(collectorErrors.CSRF_REJECTED);
    }
  }
  let principal: Principal;
  try {
    principal = principalOfToken(service.control, session.tokenId);
  } catch {
    throw new CodedError(collectorErrors.SESSION_ENDED);
  }
  request.session = session;
  return principal;
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
