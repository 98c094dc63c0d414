// The portal's pages: one HTML shell for every page address, and the assets
// it loads (collector/web/: TypeScript modules, served as JavaScript with
// their types stripped once at start-up, or already compiled in a build, and
// one style sheet). Nothing is
// fetched from anywhere but this server, nothing runs inline, and the
// Content-Security-Policy says so to the browser: log text the pages show
// comes from customers' hosts and is rendered as text, and even a mistake
// that let it become markup could not load or run a script. Every answer,
// JSON included, carries the headers that keep it out of frames and stop
// browsers from guessing content types.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resourcePath } from '../../core/resources.ts';

const webDir = resourcePath('collector/web');

/** The policy of the pages: own scripts and styles only, no inline code, no frames, DOM sinks locked by Trusted Types. */
export const pagePolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Everything that is not a page: nothing in it may run or be framed, even if opened as a document. */
const dataPolicy = "default-src 'none'; frame-ancestors 'none'; sandbox";

/** The addresses the pages live at; the browser-side router draws the page. */
const pagePaths = ['/', '/signin', '/search', '/upload', '/bundles/*', '/sites/*', '/admin', '/admin/*'];

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export async function securityHeaders(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const html = String(reply.getHeader('content-type') ?? '').startsWith('text/html');
  reply.header('content-security-policy', html ? pagePolicy : dataPolicy);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('x-frame-options', 'DENY');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
  return payload;
}

export async function webRoutes(app: FastifyInstance): Promise<void> {
  const assets = loadAssets();
  const shell = assets.get('index.html') as Asset;
  for (const path of pagePaths) {
    app.get(path, async (request, reply) => send(request, reply, shell, 'no-store'));
  }
  app.get('/assets/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    const asset = name === 'index.html' ? undefined : assets.get(name);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
    return send(request, reply, asset, 'no-cache');
  });
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset, cache: string) {
  reply.header('cache-control', cache).header('etag', asset.etag).type(asset.type);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.send(asset.body);
}

/** Reads collector/web once: each .ts module becomes NAME.js (types stripped), the rest is served as it is. */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const strip = typeStripper();
  for (const entry of readdirSync(webDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const source = readFileSync(join(webDir, entry.name));
    const type = contentTypes[entry.name.slice(entry.name.lastIndexOf('.'))];
    if (entry.name.endsWith('.ts')) {
      if (entry.name.endsWith('.d.ts')) continue;
      add(assets, entry.name.replace(/\.ts$/, '.js'), Buffer.from(strip(source.toString('utf8'))), contentTypes['.js']);
    } else if (type && !assets.has(entry.name)) add(assets, entry.name, source, type);
  }
  const shell = assets.get('index.html');
  if (!shell) throw new Error(`the portal's pages are missing from ${webDir}`);
  // Every module at once, instead of a waterfall of imports found one level at a time.
  const preload = [...assets.keys()]
    .filter((name) => name.endsWith('.js') && name !== 'app.js')
    .sort()
    .map((name) => `<link rel="modulepreload" href="/assets/${name}" />`)
    .join('\n    ');
  const html = shell.body.toString('utf8').replace(/<!-- modulepreload[^>]*-->/, preload);
  add(assets, 'index.html', Buffer.from(html), shell.type);
  return assets;
}

function add(assets: Map<string, Asset>, name: string, body: Buffer, type: string | undefined): void {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  assets.set(name, { body, type: type ?? 'application/octet-stream', etag });
}

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * amaro is the type stripper Node itself runs on .ts files; its public API
 * prints no experimental warning. A build holds compiled .js and never loads it.
 */
function typeStripper(): (code: string) => string {
  let amaro: { transformSync(code: string, options: { mode: 'strip-only' }): { code: string } } | undefined;
  return (code) => {
    amaro ??= createRequire(import.meta.url)('amaro') as typeof amaro & object;
    return amaro.transformSync(code, { mode: 'strip-only' }).code;
  };
}
