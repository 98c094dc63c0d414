import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** The shiplog release, as written into bundles and printed by --version. */
export const toolVersion: string = manifest.version;
