// manifest.json: the schema check both the sealer and every reader run.
// A reader parses a manifest only after its signature held over its bytes,
// and validation stops at the first problem, so a hostile manifest costs one
// JSON.parse of a size-capped text and no more.
import { compileValidator, type Validator } from '../core/schema-validator.ts';
import { type BundleManifest, BundleManifestSchema } from '../schemas/bundle-manifest.ts';
import { printable } from './printable.ts';
import { BundleProblem } from './problems.ts';

/** No real manifest comes near this (a bundle of 100,000 files needs about 20 MB). */
export const maxManifestBytes = 32 * 1024 * 1024;
/** A manifest of 100,000 files has about 300,000 objects and arrays. */
const maxManifestContainers = 1_000_000;

let validator: Validator<BundleManifest> | undefined;

export function manifestValidator(): Validator<BundleManifest> {
  validator ??= compileValidator<BundleManifest>(BundleManifestSchema, { useDefaults: false, allErrors: false });
  return validator;
}

/** Parses and validates manifest.json; throws BundleProblem('manifest-invalid'). */
export function parseManifest(bytes: Buffer): BundleManifest {
  const fail = (detail: string) => new BundleProblem('manifest-invalid', detail);
  // JSON.parse of a document of millions of tiny objects costs ~40 times its size in memory: count first.
  let containers = 0;
  for (const byte of bytes) if (byte === 0x7b || byte === 0x5b) containers++;
  if (containers > maxManifestContainers) {
    throw new BundleProblem(
      'limit',
      `manifest.json holds ${containers} objects and arrays; a real one holds at most a few per file`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw fail(`manifest.json is not JSON (${printable((error as Error).message, 120)})`);
  }
  const check = manifestValidator();
  if (!check.check(value)) {
    const first = check.problems[0];
    throw fail(
      first
        ? `${printable(first.path || '(root)', 120)} ${printable(first.message, 200)}`
        : 'it does not match the schema',
    );
  }
  const paths = new Set<string>();
  for (const file of value.files) {
    if (paths.has(file.path)) throw fail(`${printable(file.path)} is listed twice`);
    paths.add(file.path);
  }
  return value;
}
