// The one resolver for what the code opens at run time besides its imports:
// data files (JSON Schemas, rule packs, the portal's pages, package.json) and
// worker entry points. Everything is found from the package root, which is
// the checkout when Node runs the TypeScript sources, dist/ when it runs the
// build, and /opt/shiplog in the packages and images; a worker's entry point is the
// .ts source or the compiled .js, as this module itself is one or the other.
// No code finds a file relative to its own source file, so moving a module
// cannot break a path, and the build cannot forget a data file that the
// resolver's users name (test/e2e/dist.test.ts runs them from dist/).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The package root: the directory holding package.json, agent/, collector/, schemas/ ... */
export const packageRoot: string = join(import.meta.dirname, '..');

const compiled = import.meta.url.endsWith('.js');

/** A data file or directory of the package, by its path from the root ("schemas/json/x.schema.json"). */
export function resourcePath(relative: string): string {
  return join(packageRoot, relative);
}

/** A worker's entry point, by its module path from the root without extension ("agent/redaction/worker"). */
export function workerUrl(module: string): URL {
  return pathToFileURL(join(packageRoot, `${module}${compiled ? '.js' : '.ts'}`));
}
