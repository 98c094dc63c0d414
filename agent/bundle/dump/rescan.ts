// The last gate before release: every staged file is scanned again with the
// full rule set, and anything it would still redact stops the bundle. A file
// that a staging worker already scanned with this engine as it wrote it
// (`checked`) is not read twice, provided the run has learnt no runtime
// literal since; any change to a file after it was written (the budget's cut)
// drops its `checked`, so it is read again.
//
// The files left to read go to worker threads (one per core) when they add up
// to enough to pay for starting them; the first finding in file order stops
// the release either way.
import { stat } from 'node:fs/promises';
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import type { Finding, Redactor } from '../../redaction/index.ts';
import { stageWorkers, startStagePool } from '../collect/stage-pool.ts';

/** Below this many bytes left to read, this thread reads them (starting workers costs a few hundred ms). */
const parallelAfterBytes = 32 * 1024 * 1024;

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
  const valid = (file: RescanFile) => file.checked !== undefined && file.checked.literals >= literals;
  const unread = files.filter((file) => !valid(file));
  const read = new Map<string, { findings: number; rule?: string }>();
  let bytes = 0;
  for (const file of unread) bytes += (await stat(localPath(file.path)).catch(() => ({ size: 0 }))).size;
  if (unread.length > 1 && bytes >= parallelAfterBytes) {
    const pool = startStagePool(stageWorkers(unread.length), {
      redact: undefined,
      check: redactor.portable(),
      literals: redactor.literalValues().length,
    });
    try {
      const results = await Promise.all(
        unread.map((file) =>
          pool.stage({ source: localPath(file.path), gunzip: false }).catch((error: NodeJS.ErrnoException) => {
            // The same error as a read on this thread gives.
            throw new CodedError(
              agentErrors.REDACTION_IO,
              { operation: 'read', path: localPath(file.path), detail: error.code ?? error.message },
              { cause: error },
            );
          }),
        ),
      );
      results.forEach((result, index) => {
        read.set((unread[index] as RescanFile).path, result.check ?? { findings: 0 });
      });
    } finally {
      await pool.close();
    }
  }
  for (const file of files) {
    const checked = valid(file) ? file.checked : read.get(file.path);
    if (checked) {
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
