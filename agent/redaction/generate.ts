// Writes what is generated from the built-in rule packs, and with --check
// writes nothing and exits 1 when something is stale:
// - the parsed form of each pack (packs/parsed/NAME.parsed, read at start-up
//   instead of the YAML while its hash matches; see rules.ts), and
// - the per-kind coverage table in docs/redaction.md (coverage.ts).
//
//   node agent/redaction/generate.ts [--check]
//
// test/unit/agent/redaction/generated.test.ts fails when either is stale.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtInCoverage, redactionDoc, withCoverage } from './coverage.ts';
import { builtInPackPaths, loadPack, parsedPackDir, parsedPackPath, parsedPackText } from './rules.ts';

/** Every generated file with the text it should hold. */
export function generatedFiles(): { path: string; text: string }[] {
  const files = builtInPackPaths().map((path) => ({
    path: parsedPackPath(path),
    text: parsedPackText(loadPack(path, true, { yamlOnly: true })),
  }));
  files.push({ path: redactionDoc, text: withCoverage(readFileSync(redactionDoc, 'utf8'), builtInCoverage()) });
  return files;
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

if (import.meta.main) {
  const stale = generatedFiles().filter((file) => read(file.path) !== file.text);
  if (process.argv.includes('--check')) {
    for (const file of stale) console.error(`${file.path} is stale; run node agent/redaction/generate.ts`);
    if (stale.length > 0) process.exitCode = 1;
  } else {
    mkdirSync(parsedPackDir, { recursive: true });
    for (const file of stale) writeFileSync(file.path, file.text);
  }
}
