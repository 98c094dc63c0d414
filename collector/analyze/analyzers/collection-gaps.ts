// collection-gaps: what the bundle does not hold, so that nobody reads an
// absence as "nothing happened". From the manifest: every collector that did
// not finish `ok` (failed or timed out: warning; skipped: info, it had
// nothing to collect or was not asked to), and every file the size budget
// cut (the cut part of a log is its oldest middle).
import type { AnalyzerFactory } from '../analyzer.ts';
import { clip, type Finding, fieldAt } from '../finding.ts';
import { bytes } from '../format.ts';

const manifestFile = 'manifest.json';

export const collectionGaps: AnalyzerFactory = {
  name: 'collection-gaps',
  create: () => ({
    finish(bundle) {
      const findings: Finding[] = [];
      bundle.manifest.collectors.forEach((run, index) => {
        if (run.status === 'ok') return;
        const what =
          run.status === 'timeout' ? 'did not finish in time' : run.status === 'skipped' ? 'was skipped' : 'failed';
        findings.push({
          analyzer: 'collection-gaps',
          severity: run.status === 'skipped' ? 'info' : 'warning',
          title: `collector ${run.name} ${what}${run.error ? `: ${reason(run.name, run.error.message)}` : ''}`,
          detail:
            run.status === 'skipped'
              ? 'It had nothing to collect on this host, or was not asked to.'
              : 'What it collects is missing from the bundle or partial; ask for a new bundle once the cause is fixed.' +
                (run.error ? ` Error ${run.error.code}.` : ''),
          key: `collection-gaps:collector:${run.name}`,
          evidence: [
            fieldAt(manifestFile, ['collectors', index, 'status'], run.status),
            ...(run.error ? [fieldAt(manifestFile, ['collectors', index, 'error', 'message'], run.error.message)] : []),
          ],
        });
      });
      bundle.manifest.truncations.forEach((cut, index) => {
        findings.push({
          analyzer: 'collection-gaps',
          severity: 'info',
          title: `${cut.path} was cut to fit the bundle's size budget (${bytes(cut.kept_size)} of ${bytes(cut.original_size)} kept)`,
          detail: `${cut.reason}. Ask for a bundle with a larger --max-size or a shorter --since to see the rest.`,
          key: `collection-gaps:truncated:${cut.path}`,
          evidence: [
            fieldAt(manifestFile, ['truncations', index, 'kept_size'], cut.kept_size),
            fieldAt(manifestFile, ['truncations', index, 'original_size'], cut.original_size),
          ],
        });
      });
      return findings;
    },
  }),
};

/** The first line of a collector's error, without a lead-in that repeats the title. */
function reason(name: string, message: string): string {
  const first = message.split('\n')[0] as string;
  const lead = `the ${name} collector `;
  if (!first.toLowerCase().startsWith(lead)) return clip(first, 200);
  return clip(first.slice(first.indexOf(':', lead.length) + 1).trim() || first, 200);
}
