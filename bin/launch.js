// Runs a shiplog entry point on Node.js 24 or later. The TypeScript sources
// need Node 24 (it strips types itself); when started by an older node (a
// system Node 20 on PATH), this re-runs the same command on the Node 24 that
// came with shiplog (the packages' own, or the one `npm ci` installed beside
// it), passing signals through, or says what to do.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const minimumMajor = 24;

/**
 * Node's on-disk cache of compiled code: start-up goes from 0.4 s to 0.25 s
 * and 30 MB less memory. It lives in a directory only this user can write
 * (never a shared /tmp, where another user could plant compiled code), and
 * shiplog runs without it when that cannot be had.
 */
function enableCompileCache() {
  const root = process.getuid?.() === 0;
  const base = root ? '/var/cache/shiplog' : join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'shiplog');
  const dir = join(base, 'compile');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    module.enableCompileCache?.(dir);
  } catch {
    // A read-only home or /var/cache: start without the cache.
  }
}

/** docker-modem's ssh2 comes from bin/ssh2-on-demand.cjs, which loads it only for an ssh:// engine. */
function loadSsh2OnDemand() {
  const shim = new URL('./ssh2-on-demand.cjs', import.meta.url).href;
  module.registerHooks?.({
    resolve(specifier, context, next) {
      if (specifier === 'ssh2' && context.parentURL?.includes('/node_modules/docker-modem/')) {
        return { url: shim, format: 'commonjs', shortCircuit: true };
      }
      return next(specifier, context);
    },
  });
}

/**
 * The Node 24 that came with shiplog: the packages' own runtime beside the
 * bins (/opt/shiplog/node/bin/node, the package root's node/), else the one
 * `npm ci` installed from the `node` package.
 */
function bundledNode() {
  for (const candidate of ['../node/bin/node', '../node_modules/node/bin/node']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

export async function launch(binUrl, load) {
  if (Number(process.versions.node.split('.')[0]) >= minimumMajor) {
    enableCompileCache();
    loadSsh2OnDemand();
    const [{ processIO }, { main }] = await load();
    process.exitCode = await main(process.argv.slice(2), processIO());
    return;
  }
  const bundled = bundledNode();
  if (!bundled) {
    process.stderr.write(
      `shiplog needs Node.js ${minimumMajor} or later, and this is ${process.version}. ` +
        'Run "npm ci" in the shiplog directory (it installs Node 24 for shiplog) and start it with "npx shiplog".\n',
    );
    process.exitCode = 1;
    return;
  }
  // The V8 flags of the shebang (a young generation of 4 MB semispaces keeps
  // a busy agent's memory down) go along.
  const child = spawn(bundled, [...process.execArgv, fileURLToPath(binUrl), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 + 15 : 1);
  });
}
