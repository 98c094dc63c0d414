// Signing in to the portal and what a session may do, over real HTTP against
// `shiplog-collector serve`: the cookie's attributes (Secure only over TLS),
// CSRF on every change, sign-out and revocation ending the session, and the
// same tenant scoping as a token; and the headers every answer carries
// (a strict CSP on pages, nothing runnable anywhere else).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RunningCollector, startCollector, waitForBundle } from '../helpers/collector.ts';
import { tempDir } from '../helpers/temp.ts';
import { buildBundle } from '../unit/agent/bundle/seal/make-bundle.ts';

interface Session {
  readonly cookie: string;
  readonly csrf: string;
  readonly setCookie: string;
}

async function signIn(base: string, token: string): Promise<Session> {
  const response = await fetch(`${base}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const body = (await response.json()) as { csrf: string };
  return { cookie: setCookie.split(';')[0] as string, csrf: body.csrf, setCookie };
}

async function call(
  base: string,
  session: Session,
  method: string,
  path: string,
  options: { body?: unknown; csrf?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { cookie: session.cookie, ...options.headers };
  const csrf = options.csrf === undefined ? session.csrf : options.csrf;
  if (csrf !== null) headers['x-csrf-token'] = csrf;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

describe('portal sessions', () => {
  let collector: RunningCollector;
  let acmeBundle: string;
  let globexBundle: string;

  beforeAll(async () => {
    const dir = tempDir('shiplog-portal-session-');
    collector = await startCollector();
    const acmeUpload = await collector.token('acme', 'upload');
    const globexUpload = await collector.token('globex', 'upload');
    const built = await buildBundle(dir);
    const sent = await api(collector, acmeUpload, '/api/v1/bundles', {
      method: 'POST',
      body: readFileSync(built.path),
    });
    acmeBundle = sent.body.id as string;
    const other = await api(collector, globexUpload, '/api/v1/bundles', {
      method: 'POST',
      body: readFileSync(built.path),
    });
    globexBundle = other.body.id as string;
    await waitForBundle(collector, collector.adminToken, acmeBundle);
    await waitForBundle(collector, collector.adminToken, globexBundle);
  }, 60_000);

  afterAll(async () => {
    await collector?.stop();
  });

  it('gives an HttpOnly, SameSite=Strict cookie for the whole portal, not Secure over plain HTTP', async () => {
    const session = await signIn(collector.url, collector.adminToken);
    expect(session.setCookie).toMatch(/^shiplog_session=[A-Za-z0-9_-]{43};/);
    expect(session.setCookie).toMatch(/HttpOnly/);
    expect(session.setCookie).toMatch(/SameSite=Strict/);
    expect(session.setCookie).toMatch(/Path=\//);
    expect(session.setCookie).not.toMatch(/Secure/);
    const me = await call(collector.url, session, 'GET', '/session');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'admin', global_admin: true, csrf: session.csrf });
  });

  it('refuses a wrong token with its code, and a sign-in that is not JSON', async () => {
    const wrong = await api(collector, undefined, '/api/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: `slc_${'A'.repeat(43)}` }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.code).toBe('COLLECTOR_ERR_TOKEN_UNKNOWN');
    // A form another site could post has no JSON body: no session comes of it.
    const form = await fetch(`${collector.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${collector.adminToken}`,
    });
    expect(form.status).toBeGreaterThanOrEqual(400);
    expect(form.headers.get('set-cookie')).toBeNull();
  });

  it('refuses every change without the session CSRF token, or from another site', async () => {
    const session = await signIn(collector.url, collector.adminToken);
    const missing = await call(collector.url, session, 'POST', '/tenants', { body: { name: 'csrf-a' }, csrf: null });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('COLLECTOR_ERR_CSRF_REJECTED');
    const wrong = await call(collector.url, session, 'POST', '/tenants', {
      body: { name: 'csrf-b' },
      csrf: 'x'.repeat(43),
    });
    expect(wrong.status).toBe(403);
    const crossSite = await call(collector.url, session, 'POST', '/tenants', {
      body: { name: 'csrf-c' },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    const revoke = await call(collector.url, session, 'DELETE', `/bundles/${acmeBundle}`, { csrf: null });
    expect(revoke.status).toBe(403);
    // None of them happened.
    const tenants = await call(collector.url, session, 'GET', '/tenants');
    expect(tenants.body.tenants.map((tenant: { name: string }) => tenant.name)).toEqual(['acme', 'globex']);
    const ok = await call(collector.url, session, 'POST', '/tenants', { body: { name: 'csrf-ok' } });
    expect(ok.status).toBe(201);
  });

  it('ends at sign-out, and when its token is revoked', async () => {
    const session = await signIn(collector.url, collector.adminToken);
    const out = await call(collector.url, session, 'DELETE', '/session');
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/shiplog_session=;/);
    const after = await call(collector.url, session, 'GET', '/bundles');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('COLLECTOR_ERR_SESSION_ENDED');

    const reader = await collector.token('acme', 'read');
    const readerSession = await signIn(collector.url, reader);
    expect((await call(collector.url, readerSession, 'GET', '/bundles')).status).toBe(200);
    const admin = await signIn(collector.url, collector.adminToken);
    const me = await call(collector.url, readerSession, 'GET', '/session');
    const revoked = await call(collector.url, admin, 'DELETE', `/tokens/${me.body.token_id}`);
    expect(revoked.status).toBe(200);
    const later = await call(collector.url, readerSession, 'GET', '/bundles');
    expect(later.status).toBe(401);
    expect(later.body.error.code).toBe('COLLECTOR_ERR_SESSION_ENDED');
  });

  it('scopes a session as its token: a reader sees its tenant only and no admin page', async () => {
    const reader = await signIn(collector.url, await collector.token('acme', 'read'));
    expect((await call(collector.url, reader, 'GET', `/bundles/${acmeBundle}/overview`)).status).toBe(200);
    const foreign = await call(collector.url, reader, 'GET', `/bundles/${globexBundle}/overview`);
    expect(foreign.status).toBe(404);
    expect((await call(collector.url, reader, 'GET', `/bundles/${globexBundle}/files`)).status).toBe(404);
    expect((await call(collector.url, reader, 'GET', '/sites/globex/bank-host-01')).status).toBe(404);
    const search = await call(collector.url, reader, 'GET', '/search?q=UNIQUE-CONTENT-MARKER');
    expect(new Set(search.body.hits.map((hit: { tenant: string }) => hit.tenant))).toEqual(new Set(['acme']));
    for (const path of ['/tenants', '/tokens', '/audit']) {
      const answer = await call(collector.url, reader, 'GET', path);
      expect(answer.status, path).toBe(403);
      expect(answer.body.error.code, path).toBe('COLLECTOR_ERR_FORBIDDEN');
    }
    const made = await call(collector.url, reader, 'POST', '/tokens', { body: { role: 'admin', tenant: 'acme' } });
    expect(made.status).toBe(403);

    const tenantAdmin = await signIn(collector.url, await collector.token('acme', 'admin'));
    const tokens = await call(collector.url, tenantAdmin, 'GET', '/tokens');
    expect(tokens.status).toBe(200);
    expect(new Set(tokens.body.tokens.map((token: { tenant: string }) => token.tenant))).toEqual(new Set(['acme']));
    const global = await call(collector.url, tenantAdmin, 'POST', '/tokens', { body: { role: 'admin', tenant: '*' } });
    expect(global.status).toBe(403);
  });

  it('reads a listed text file by lines, and nothing the manifest does not list', async () => {
    const admin = await signIn(collector.url, collector.adminToken);
    const page = await call(
      collector.url,
      admin,
      'GET',
      `/bundles/${acmeBundle}/file?path=containers/web/web.log&line=2&lines=2`,
    );
    expect(page.status).toBe(200);
    expect(page.body.lines).toEqual([
      { n: 2, text: 'GET /health 200' },
      { n: 3, text: 'UNIQUE-CONTENT-MARKER' },
    ]);
    for (const path of [
      '../../control.db',
      'containers/web/../../../control.db',
      '/etc/passwd',
      'manifest.json.sig/..',
    ]) {
      const answer = await call(
        collector.url,
        admin,
        'GET',
        `/bundles/${acmeBundle}/file?path=${encodeURIComponent(path)}`,
      );
      expect(answer.status, path).toBe(404);
    }
  });

  it('serves pages with a strict CSP and every other answer with nothing runnable', async () => {
    const page = await fetch(`${collector.url}/search?q=x`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(policy).toContain("require-trusted-types-for 'script'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style|style=|https?:\/\//);
    const script = await fetch(`${collector.url}/assets/app.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).not.toMatch(/:\s*(string|number|boolean)\b[,)]/); // types are stripped
    const json = await fetch(`${collector.url}/api/v1/bundles`);
    expect(json.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${collector.url}/assets/index.html`)).status).toBe(404);
    expect((await fetch(`${collector.url}/assets/..%2Fhttp%2Fweb.ts`)).status).toBe(404);
  });
});

describe('portal sessions over TLS', () => {
  let collector: RunningCollector;
  let ca: Buffer;

  beforeAll(async () => {
    const dir = tempDir('shiplog-portal-tls-');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'));
    const config = join(dir, 'collector.yml');
    writeFileSync(config, `tls:\n  cert: ${join(dir, 'cert.pem')}\n  key: ${join(dir, 'key.pem')}\n`);
    collector = await startCollector({ env: { SHIPLOG_COLLECTOR_CONFIG: config } });
  }, 60_000);

  afterAll(async () => {
    await collector?.stop();
  });

  it('serves https, and its session cookie is Secure', async () => {
    expect(collector.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const answer = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
      const request = httpsRequest(
        `${collector.url}/api/v1/session`,
        { method: 'POST', ca, headers: { 'content-type': 'application/json' } },
        (response) => {
          response.resume();
          resolve({ status: response.statusCode ?? 0, cookie: String(response.headers['set-cookie'] ?? '') });
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify({ token: collector.adminToken }));
    });
    expect(answer.status).toBe(200);
    expect(answer.cookie).toMatch(/; Secure/);
    expect(answer.cookie).toMatch(/HttpOnly/);
  });
});
