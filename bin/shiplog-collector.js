#!/usr/bin/env -S node --max-semi-space-size=4
// `shiplog-collector`: Node 24 runs the TypeScript sources directly (type stripping).
import { launch } from './launch.js';

await launch(import.meta.url, () => Promise.all([import('../core/cli.ts'), import('../collector/cli/main.ts')]));
