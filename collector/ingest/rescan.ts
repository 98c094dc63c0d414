// The collector's own look for secrets in every content file of a verified
// bundle, with the built-in rule packs (secrets only; personal data is the
// site's policy). The agent already refuses to release a bundle its rescan
// flags, so a finding here means the bundle was made by a shiplog with weaker
// rules or by hand: it is quarantined, not indexed, and the finding names the
// file and rule (never the value).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createRedactor, type Redactor } from '../../agent/redaction/index.ts';
import type { BundleManifest } from '../../schemas/bundle-manifest.ts';

export interface SecretFinding {
  readonly file: string;
  readonly rule: string;
  readonly line: number;
  readonly count: number;
}

let checker: Redactor | undefined;

function secretChecker(): Redactor {
  // Built-in packs only; a random key, since nothing is pseudonymized by a scan.
  checker ??= createRedactor({
    settings: { secrets: 'mask', personal: 'keep' },
    siteKey: randomBytes(32),
    env: {},
  });
  return checker;
}

/** The first content file holding a secret, or undefined when every file is clean. */
export async function findSecret(dir: string, manifest: BundleManifest): Promise<SecretFinding | undefined> {
  const redactor = secretChecker();
  for (const file of manifest.files) {
    if (file.path === 'signing-key.pub') continue;
    let count = 0;
    let first: { rule: string; line: number } | undefined;
    await redactor.scanFile(join(dir, file.path), {
      maxFindings: 0,
      onFinding(finding) {
        if (finding.action === 'keep' || finding.category !== 'secret') return;
        count++;
        first ??= { rule: finding.rule, line: finding.line };
      },
    });
    if (first) return { file: file.path, rule: first.rule, line: first.line, count };
  }
  return undefined;
}
