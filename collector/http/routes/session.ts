// Signing in to the portal: a token, once, for a session cookie. The pages
// then send the cookie (HttpOnly, SameSite=Strict, Secure over TLS) with
// every request and the session's CSRF token in X-CSRF-Token with every
// change; scripts keep sending the token itself (Authorization: Bearer),
// which no other site can make a browser send.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CodedError } from '../../../core/coded-error.ts';
import { recordAudit } from '../../access/audit.ts';
import { everyTenant, isGlobalAdmin, type Principal } from '../../access/principal.ts';
import { closeSession, openSession, sessionLifetimeMs } from '../../access/sessions.ts';
import { auditTenant, authenticate } from '../../access/tokens.ts';
import { collectorErrors } from '../../errors.ts';
import type { CollectorService } from '../../service.ts';
import { principalOf, sessionCookie } from '../server.ts';

/** POST /session (sign in): needs no credentials but the token in its JSON body. */
export async function signInRoute(
  app: FastifyInstance,
  { service, secure }: { service: CollectorService; secure: boolean },
): Promise<void> {
  app.post('/session', async (request, reply) => {
    const token = (request.body as { token?: unknown } | null)?.token;
    if (typeof token !== 'string' || token === '') {
      throw new CodedError(collectorErrors.REQUEST_INVALID, { detail: 'send {"token": "slc_..."} as JSON' });
    }
    const principal = authenticate(service.control, token.trim());
    const session = openSession(service.control, principal.tokenId);
    recordAudit(service.control, {
      actor: principal,
      tenant: auditTenant(principal),
      action: 'sign-in',
      target: principal.tokenId,
    });
    setSessionCookie(reply, session.secret, secure);
    return { csrf: session.csrf, expires_at: session.expiresAt, ...describe(service, principal) };
  });
}

/** GET /session (who am I, and the CSRF token) and DELETE /session (sign out), behind the /api hook. */
export async function sessionRoutes(
  app: FastifyInstance,
  { service, secure }: { service: CollectorService; secure: boolean },
): Promise<void> {
  app.get('/session', async (request) => {
    const principal = principalOf(request);
    return { ...(request.session && { csrf: request.session.csrf }), ...describe(service, principal) };
  });

  app.delete('/session', async (request, reply) => {
    const secret = request.cookies[sessionCookie];
    if (secret) closeSession(service.control, secret);
    setSessionCookie(reply, '', secure, 0);
    return { signed_out: true };
  });
}

function setSessionCookie(reply: FastifyReply, value: string, secure: boolean, maxAgeS = sessionLifetimeMs / 1000) {
  reply.setCookie(sessionCookie, value, { path: '/', httpOnly: true, sameSite: 'strict', secure, maxAge: maxAgeS });
}

/** What the pages need to know of who signed in: the role, and the tenants it reads and administers. */
function describe(service: CollectorService, principal: Principal) {
  return {
    token_id: principal.tokenId,
    role: principal.role,
    tenant: principal.tenant,
    global_admin: isGlobalAdmin(principal),
    readable: principal.readable,
    administers: principal.readable.filter((tenant) => principal.canAdmin(tenant)),
    uploads_to:
      principal.tenant !== null && principal.tenant !== everyTenant && principal.canUpload(principal.tenant)
        ? principal.tenant
        : null,
    max_upload_bytes: service.maxUploadBytes,
  };
}
