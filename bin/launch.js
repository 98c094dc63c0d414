// Runs a shiplog entry point on Node.js 24 or later. The TypeScript sources
// need Node 24 (it strips types itself); when started by an older node (a
// system Node 20 on PATH), this re-runs the same command on the Node 24 that
// `npm ci` installed beside it, passing signals through, or says what to do.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const minimumMajor = 24;

export async function launch(binUrl, load) {
  if (Number(process.versions.node.split('.')[0]) >= minimumMajor) {
    const [{ processIO }, { main }] = await load();
    process.exitCode = await main(process.argv.slice(2), processIO());
    return;
  }
  const bundled = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(bundled)) {
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
