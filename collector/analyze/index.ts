// Runs every analyzer over one bundle in the single pass ingest makes: the
// pipeline hands each batch of events to `observe` as it indexes it, then
// calls `finish` with the unpacked directory, the manifest and the facts,
// and stores what comes back. Analyzers are isolated from each other: one
// that throws (while created, on a line, or at the end) stops only itself,
// and becomes an `info` finding that names it; the others and the ingest
// go on. A line's tokens are computed once, for every analyzer that asks.
import type { BundleManifest } from '../../schemas/bundle-manifest.ts';
import type { IndexedEvent } from '../index/types.ts';
import type { BundleFacts } from '../ingest/facts.ts';
import type { AnalysisContext, Analyzer, AnalyzerFactory, ObservedLine } from './analyzer.ts';
import { certificateExpiry } from './analyzers/certificate-expiry.ts';
import { clockSkew } from './analyzers/clock-skew.ts';
import { collectionGaps } from './analyzers/collection-gaps.ts';
import { diskPressure } from './analyzers/disk-pressure.ts';
import { errorBurst } from './analyzers/error-burst.ts';
import { exitedNonzero } from './analyzers/exited-nonzero.ts';
import { knownIssue } from './analyzers/known-issue.ts';
import { memoryPressure } from './analyzers/memory-pressure.ts';
import { oomKilled } from './analyzers/oom-killed.ts';
import { restartLoop } from './analyzers/restart-loop.ts';
import { unhealthy } from './analyzers/unhealthy.ts';
import { createBundleView } from './bundle-view.ts';
import { bySeverity, clip, type Finding } from './finding.ts';
import { tokenize } from './templates/mask.ts';

export { type SiteWithFinding, sitesWithFinding } from './across.ts';
export type { AnalysisContext, AnalyzerFactory } from './analyzer.ts';
export { compareFindings, type FindingChanges } from './changes.ts';
export type { Evidence, Finding, FindingState, Severity, TrackedFinding } from './finding.ts';
export { type KnownIssueSource, knownIssueSource } from './known-issues/source.ts';
export { findingsMigration, listFindings, previousFindings, type StoredFinding, saveFindings } from './store.ts';

export const builtInAnalyzers: readonly AnalyzerFactory[] = [
  restartLoop,
  oomKilled,
  unhealthy,
  exitedNonzero,
  diskPressure,
  memoryPressure,
  clockSkew,
  certificateExpiry,
  errorBurst,
  collectionGaps,
  knownIssue,
];

export interface Analysis {
  /** Feeds one batch of the events being indexed, in ingest order. Never throws. */
  observe(events: readonly IndexedEvent[]): void;
  /** Every analyzer's findings, worst first. Never rejects. */
  finish(dir: string, manifest: BundleManifest, facts: BundleFacts): Promise<Finding[]>;
}

interface Running {
  readonly name: string;
  readonly analyzer: Analyzer | undefined;
  failure: unknown;
}

/** The line handed to each analyzer: one object for the whole pass, its tokens made on first demand. */
class CurrentLine implements ObservedLine {
  event: IndexedEvent = undefined as unknown as IndexedEvent;
  #tokens: string[] | undefined;

  move(event: IndexedEvent): void {
    this.event = event;
    this.#tokens = undefined;
  }

  tokens(): readonly string[] {
    this.#tokens ??= tokenize(this.event.message);
    return this.#tokens;
  }
}

export function createAnalysis(context: AnalysisContext): Analysis {
  const running: Running[] = (context.analyzers ?? builtInAnalyzers).map((factory) => {
    try {
      return { name: factory.name, analyzer: factory.create(context), failure: undefined };
    } catch (error) {
      return { name: factory.name, analyzer: undefined, failure: error };
    }
  });
  const observers = running.filter((entry) => entry.analyzer?.observe !== undefined);
  const line = new CurrentLine();
  return {
    observe(events) {
      for (const event of events) {
        line.move(event);
        for (const entry of observers) {
          if (entry.failure !== undefined) continue;
          try {
            (entry.analyzer as Required<Analyzer>).observe(line);
          } catch (error) {
            entry.failure = error ?? new Error('threw undefined');
          }
        }
      }
    },
    async finish(dir, manifest, facts) {
      const view = createBundleView(dir, manifest, facts);
      const results = await Promise.all(
        running.map(async (entry): Promise<readonly Finding[]> => {
          if (entry.failure === undefined && entry.analyzer) {
            try {
              return await entry.analyzer.finish(view);
            } catch (error) {
              entry.failure = error ?? new Error('threw undefined');
            }
          }
          return [failed(entry)];
        }),
      );
      return results.flat().sort(bySeverity);
    },
  };
}

function failed(entry: Running): Finding {
  const error = entry.failure;
  const message = error instanceof Error ? error.message : String(error);
  return {
    analyzer: entry.name,
    severity: 'info',
    title: `analyzer ${entry.name} failed, so its findings are missing: ${clip(message, 160, true)}`,
    ...(error instanceof Error && error.stack && { detail: clip(error.stack, 4000) }),
    key: `analyzer-failed:${entry.name}`,
    evidence: [],
  };
}
