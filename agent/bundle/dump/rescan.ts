// The last gate before release: every staged file is scanned again with the
// full rule set, and anything it would still redact stops the bundle. A file
// that a staging worker already scanned with this engine as it wrote it
// (`checked`) is not read twice, provided the run has learnt no runtime
// literal since; any change to a file after it was written (the budget's cut)
// drops its `checked`, so it is read again.
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import type { Finding, Redactor } from '../../redaction/index.ts';

export interface RescanFile {
  readonly path: string;
  readonly checked?: { readonly findings: number; readonly rule?: string; readonly literals: number };
}

/**
 * Fails closed: any value the full rule set would still redact stops the release.
 * `literals`: how many runtime literals the run knows now (a file checked knowing fewer is read again).
 */
export async function rescan(
  files: readonly RescanFile[],
  localPath: (path: string) => string,
  redactor: Redactor,
  literals = Number.POSITIVE_INFINITY,
): Promise<void> {
  for (const file of files) {
    const { checked } = file;
    if (checked && checked.literals >= literals) {
      if (checked.findings > 0) {
        throw new CodedError(agentErrors.DUMP_RESCAN_FOUND, {
          count: checked.findings,
          path: file.path,
          rule: checked.rule ?? 'unknown',
        });
      }
      continue;
    }
    let count = 0;
    let first: Finding | undefined;
    await redactor.scanFile(localPath(file.path), {
      maxFindings: 0,
      onFinding: (finding) => {
        // A category the operator chose to keep is not a leak.
        if (finding.action === 'keep') return;
        count++;
        first ??= finding;
      },
    });
    if (first) throw new CodedError(agentErrors.DUMP_RESCAN_FOUND, { count, path: file.path, rule: first.rule });
  }
}
