// "New since last time": a site's findings compared with those of its
// previous bundle, by key. A finding whose key the previous bundle had (as
// new or still) is `still`; one it did not have is `new`; a previous
// finding whose key is gone is `resolved`, and comes back as such so the
// bundle can say what stopped. Without a previous bundle everything is new.
import type { Finding, TrackedFinding } from './finding.ts';

export interface FindingChanges {
  /** This bundle's findings, each marked new or still. */
  readonly findings: readonly TrackedFinding[];
  /** The previous bundle's findings that this one no longer has, marked resolved. */
  readonly resolved: readonly TrackedFinding[];
}

export function compareFindings(
  previous: readonly (Finding & { readonly state?: TrackedFinding['state'] })[] | undefined,
  current: readonly Finding[],
): FindingChanges {
  // What the previous bundle resolved was already gone then: it is not a problem to compare against.
  const before = new Map<string, Finding>();
  for (const finding of previous ?? []) if (finding.state !== 'resolved') before.set(finding.key, finding);
  const keys = new Set(current.map((finding) => finding.key));
  return {
    findings: current.map((finding) => ({ ...finding, state: before.has(finding.key) ? 'still' : 'new' })),
    resolved: [...before.values()]
      .filter((finding) => !keys.has(finding.key))
      .map(({ analyzer, severity, title, detail, key, evidence }) => ({
        analyzer,
        severity,
        title,
        ...(detail !== undefined && { detail }),
        key,
        evidence,
        state: 'resolved' as const,
      })),
  };
}
