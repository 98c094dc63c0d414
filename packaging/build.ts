// `npm run build [-- --out DIR]`: the production build, into dist/ unless
// told otherwise. The TypeScript of both programs is compiled to JavaScript
// (imports rewritten to .js), the portal's pages too, and beside them go the
// data files the code opens through core/resources.ts (JSON Schemas, rule
// packs, the pages' HTML, CSS and icon), the bins with the V8 flags of their
// first line, and a package.json and lockfile for `npm ci --omit=dev`: the
// build runs with production dependencies only. The last line printed is the
// directory.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'dist'));

/** Data files and directories the code reads at run time, from the package root. */
const data = [
  'schemas/json',
  'agent/redaction/packs',
  'collector/web/index.html',
  'collector/web/app.css',
  'collector/web/favicon.svg',
  'README.md',
];

const tsc = join(root, 'node_modules/typescript/bin/tsc');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
// The pages: their own compilation (DOM library); rootDir is the package root so their type-only imports resolve.
execFileSync(
  process.execPath,
  [
    tsc,
    '-p',
    join(root, 'collector/web/tsconfig.json'),
    '--noEmit',
    'false',
    '--outDir',
    out,
    '--rootDir',
    root,
    '--sourceMap',
    'false',
  ],
  { stdio: 'inherit' },
);
for (const path of data) cpSync(join(root, path), join(out, path), { recursive: true });

// The bins import the sources (.ts); the build's import the compiled .js.
mkdirSync(join(out, 'bin'), { recursive: true });
for (const name of readdirSync(join(root, 'bin'))) {
  const text = readFileSync(join(root, 'bin', name), 'utf8');
  writeFileSync(join(out, 'bin', name), text.replace(/(import\('\.\.\/[^']+)\.ts'\)/g, "$1.js')"), { mode: 0o755 });
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
const { devDependencies: _dev, scripts: _scripts, allowScripts: _allow, ...production } = manifest;
writeFileSync(join(out, 'package.json'), `${JSON.stringify(production, null, 2)}\n`);
cpSync(join(root, 'package-lock.json'), join(out, 'package-lock.json'));

console.log(out);
