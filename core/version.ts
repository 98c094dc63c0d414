import { readFileSync } from 'node:fs';
import { resourcePath } from './resources.ts';

const manifest = JSON.parse(readFileSync(resourcePath('package.json'), 'utf8')) as { version: string };

/** The shiplog release, as written into bundles and printed by --version. */
export const toolVersion: string = manifest.version;
