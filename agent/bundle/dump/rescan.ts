// The last gate before release: every staged file is scanned again with the
// full rule set, and anything it would still redact stops the bundle.
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import type { Finding, Redactor } from '../../redaction/index.ts';

/** Fails closed: any value the full rule set would still redact stops the release. */
export async function rescan(
  files: readonly { path: string }[],
  localPath: (path: string) => string,
  redactor: Redactor,
): Promise<void> {
  for (const file of files) {
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
