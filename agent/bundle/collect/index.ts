// What `shiplog dump` uses: run the collectors into a staging directory.
export type { Truncation } from '../budget.ts';
export type { StagedFile } from '../staging.ts';
export { Staging } from '../staging.ts';
export { renderSummary, type SummaryFinding, summaryFindings } from '../summary.ts';
export { defaultCollectors } from './collectors.ts';
export {
  type CollectOptions,
  type CollectProgress,
  type CollectResult,
  collectBundle,
  runCollector,
} from './runner.ts';
export type { CollectContext, Collector, ContainerFact, EmitContent, Facts, LineWriter, TimeWindow } from './types.ts';
