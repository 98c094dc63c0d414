// The shape every analyzer has. An analyzer may look at each line while the
// bundle is indexed (`observe`, on the hot path: a few comparisons per line,
// no I/O, bounded state) and then, once all lines went by, at the unpacked
// files and structured facts (`finish`), where it reads what it needs and
// returns its findings.
import type { BundleManifest } from '../../schemas/bundle-manifest.ts';
import type { IndexedEvent } from '../index/types.ts';
import type { BundleFacts } from '../ingest/facts.ts';
import type { ContainerDocument } from './bundle-view.ts';
import type { Finding } from './finding.ts';
import type { KnownIssueSource } from './known-issues/source.ts';

export interface AnalysisContext {
  readonly tenant: string;
  readonly bundle: string;
  /** manifest.created_at: lets `observe` tell lines stamped after the bundle was made. */
  readonly createdAt?: string;
  /** When the collector received the bundle (its own clock): a bundle made after that came from a clock ahead. */
  readonly receivedAt?: string;
  /** The vendor's known-issue rules, reloaded when their file changes; without it the known-issue analyzer is idle. */
  readonly knownIssues?: KnownIssueSource;
  /** The analyzers to run; default every built-in one (builtInAnalyzers). */
  readonly analyzers?: readonly AnalyzerFactory[];
}

/** One line on its way into the index. `tokens()` is computed once per line, for whichever analyzer asks first. */
export interface ObservedLine {
  readonly event: IndexedEvent;
  /** The message split at whitespace with its values masked (templates/mask.ts). */
  tokens(): readonly string[];
}

/** What `finish` may read: the unpacked files, the manifest and the facts readFacts() found. */
export interface BundleView {
  readonly dir: string;
  readonly manifest: BundleManifest;
  readonly facts: BundleFacts;
  /** manifest.created_at in milliseconds (NaN when it does not parse). */
  readonly createdAtMs: number;
  /** A JSON document of the bundle, or undefined when absent, too large or malformed (read once). */
  json(path: string): Promise<unknown>;
  /** A text file of the bundle, or undefined when absent or too large (read once). */
  text(path: string): Promise<string | undefined>;
  /** Every containers/<dir>/inspect.json that parses, in directory order. */
  containers(): Promise<readonly ContainerDocument[]>;
}

export interface Analyzer {
  observe?(line: ObservedLine): void;
  finish(bundle: BundleView): Promise<readonly Finding[]> | readonly Finding[];
}

export interface AnalyzerFactory {
  readonly name: string;
  create(context: AnalysisContext): Analyzer;
}
