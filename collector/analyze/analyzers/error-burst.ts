// error-burst: the errors a bundle is full of, by kind. Every indexed line
// (not the bundle's own text files) goes through the template miner; a
// template counts a line as an error when the line is logged at an error
// level (error, critical, alert, emergency, fatal), or has no level and the
// template has an error word in it (error, exception, failed, panic, ...,
// or a class name ending in Error or Exception).
// A template's errors are kept in a histogram of BUCKET_MS buckets (it
// coarsens by doubling the width when it would hold more than MAX_BUCKETS),
// and it becomes a finding when it
//   - bursts: at least BURST_MIN in one bucket, and BURST_FACTOR times what
//     its average rate over the bundle's span would put there, or
//   - is frequent: FREQUENT_ERRORS lines or more in all.
// The MAX_FINDINGS worst are reported (fatal first, then bursts, then by
// count), each with the first lines as examples and the first of its peak.
import { createHash } from 'node:crypto';
import type { AnalyzerFactory, ObservedLine } from '../analyzer.ts';
import { clip, detached, type Evidence, type Finding, lineAt } from '../finding.ts';
import { counted, span } from '../format.ts';
import { type MinerOptions, TemplateMiner, templateText } from '../templates/miner.ts';

export const FREQUENT_ERRORS = 100;
export const BURST_MIN = 20;
export const BURST_FACTOR = 10;
export const BUCKET_MS = 60_000;
export const MAX_BUCKETS = 512;
export const MAX_FINDINGS = 20;
const examplesKept = 3;
const placesKept = 8;

const errorLevels = new Set(['error', 'critical', 'alert', 'emergency', 'fatal']);
const fatalLevels = new Set(['critical', 'alert', 'emergency', 'fatal']);
const errorWords =
  /(?:^|[^A-Za-z])(?:error|errors|err|exception|fatal|panic|panicked|failed|failure|traceback|segfault|crash|crashed)(?:$|[^A-Za-z])/i;
// The end of a class name: IllegalStateException, TypeError, AssertionFailure.
const errorClass = /[a-z](?:Error|Exception|Failure)(?:$|[^A-Za-z])/;

interface Bucket {
  readonly key: number;
  count: number;
  /** The earliest line in the bucket. */
  at: number;
  file: string;
  line: number;
}

/** Error lines of one template over time, in at most MAX_BUCKETS buckets. */
class Histogram {
  width = BUCKET_MS;
  buckets = new Map<number, Bucket>();

  add(ms: number, file: string, line: number): void {
    let key = Math.floor(ms / this.width);
    let bucket = this.buckets.get(key);
    if (!bucket && this.buckets.size >= MAX_BUCKETS) {
      this.#coarsen();
      key = Math.floor(ms / this.width);
      bucket = this.buckets.get(key);
    }
    if (!bucket) {
      this.buckets.set(key, { key, count: 1, at: ms, file, line });
      return;
    }
    bucket.count++;
    if (ms < bucket.at) {
      bucket.at = ms;
      bucket.file = file;
      bucket.line = line;
    }
  }

  peak(): Bucket | undefined {
    let peak: Bucket | undefined;
    for (const bucket of this.buckets.values()) if (!peak || bucket.count > peak.count) peak = bucket;
    return peak;
  }

  #coarsen(): void {
    while (this.buckets.size >= MAX_BUCKETS) {
      this.width *= 2;
      const merged = new Map<number, Bucket>();
      for (const bucket of this.buckets.values()) {
        const key = Math.floor(bucket.key / 2);
        const into = merged.get(key);
        const first = into && into.at <= bucket.at ? into : bucket;
        merged.set(key, { ...first, key, count: bucket.count + (into?.count ?? 0) });
      }
      this.buckets = merged;
    }
  }
}

interface TemplateState {
  /** The template version errorWord was computed for. */
  version: number;
  errorWord: boolean;
  errors: number;
  fatal: boolean;
  firstMs: number;
  lastMs: number;
  histogram: Histogram | undefined;
  readonly examples: { file: string; line: number; text: string }[];
  readonly places: Set<string>;
}

export function createErrorBurst(options: MinerOptions = {}): AnalyzerFactory {
  return {
    name: 'error-burst',
    create() {
      // Templates that hold errors are worth more when the miner must evict.
      const miner = new TemplateMiner<TemplateState>(options, (template) =>
        template.data && template.data.errors > 0 ? template.count * 16 : template.count,
      );
      let earliest: string | undefined;
      let latest: string | undefined;
      return {
        observe(line: ObservedLine) {
          const event = line.event;
          if (event.event.dataset === 'shiplog.bundle') return;
          const stamp = event['@timestamp'];
          if (stamp.charCodeAt(stamp.length - 1) === 90) {
            if (earliest === undefined || stamp < earliest) earliest = stamp;
            if (latest === undefined || stamp > latest) latest = stamp;
          }
          const template = miner.add(line.tokens());
          let state = template.data;
          if (!state) {
            state = {
              version: -1,
              errorWord: false,
              errors: 0,
              fatal: false,
              firstMs: Number.NaN,
              lastMs: Number.NaN,
              histogram: undefined,
              examples: [],
              places: new Set(),
            };
            template.data = state;
          }
          if (state.version !== template.version) {
            state.version = template.version;
            const text = templateText(template);
            state.errorWord = errorWords.test(text) || errorClass.test(text);
          }
          const level = event.log?.level;
          if (level === undefined ? !state.errorWord : !errorLevels.has(level)) return;
          state.errors++;
          if (level !== undefined && fatalLevels.has(level)) state.fatal = true;
          const file = event.shiplog.file;
          const number = event.shiplog.line;
          const ms = Date.parse(stamp);
          if (Number.isFinite(ms)) {
            state.histogram ??= new Histogram();
            state.histogram.add(ms, file, number);
            if (!(ms >= state.firstMs)) state.firstMs = ms;
            if (!(ms <= state.lastMs)) state.lastMs = ms;
          }
          if (state.examples.length < examplesKept) {
            state.examples.push({ file, line: number, text: detached(clip(event.message, 300)) });
          }
          if (state.places.size < placesKept) {
            state.places.add(event.container?.name ?? event.service?.name ?? file);
          }
        },
        finish(bundle) {
          const spanMs = observedSpan(earliest, latest) ?? windowSpan(bundle.manifest.window);
          const candidates: { finding: Finding; fatal: boolean; burst: boolean; errors: number }[] = [];
          for (const template of miner.templates()) {
            const state = template.data;
            if (!state || state.errors === 0) continue;
            const peak = state.histogram?.peak();
            const width = state.histogram?.width ?? BUCKET_MS;
            const spanBuckets = spanMs === undefined ? 0 : spanMs / width;
            const burst =
              peak !== undefined &&
              peak.count >= BURST_MIN &&
              spanBuckets >= BURST_FACTOR &&
              peak.count >= (BURST_FACTOR * state.errors) / spanBuckets;
            if (!burst && state.errors < FREQUENT_ERRORS) continue;
            const text = templateText(template);
            const places = [...state.places];
            const where = `${places.slice(0, 3).join(', ')}${places.length > 3 ? ', ...' : ''}`;
            const shown = clip(text, 120, true);
            const title = burst
              ? `error burst in ${where}: ${(peak as Bucket).count.toLocaleString('en-US')} × "${shown}" within ${span(width)} (${state.errors.toLocaleString('en-US')} in all)`
              : `frequent error in ${where}: ${state.errors.toLocaleString('en-US')} × "${shown}"`;
            const evidence: Evidence[] = state.examples.map((example) => lineAt(example.file, example.line));
            if (burst && peak && !state.examples.some((e) => e.file === peak.file && e.line === peak.line)) {
              evidence.push(lineAt(peak.file, peak.line));
            }
            const detail = [
              `Template: ${clip(text, 1000)}`,
              `${counted(state.errors, 'error line')} of ${counted(template.count, 'line')} of this kind` +
                (Number.isFinite(state.firstMs)
                  ? `, from ${new Date(state.firstMs).toISOString()} to ${new Date(state.lastMs).toISOString()}`
                  : '') +
                '.',
              ...(burst && peak
                ? [`The busiest ${span(width)} began at ${new Date(peak.key * width).toISOString()}.`]
                : []),
              `Seen in: ${places.join(', ')}${places.length >= placesKept ? ' and more' : ''}.`,
              'First lines:',
              ...state.examples.map((example) => `  ${example.text}`),
            ].join('\n');
            candidates.push({
              finding: {
                analyzer: 'error-burst',
                severity: state.fatal ? 'critical' : 'warning',
                title,
                detail,
                key: `error-burst:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`,
                evidence,
              },
              fatal: state.fatal,
              burst,
              errors: state.errors,
            });
          }
          candidates.sort(
            (a, b) => Number(b.fatal) - Number(a.fatal) || Number(b.burst) - Number(a.burst) || b.errors - a.errors,
          );
          return candidates.slice(0, MAX_FINDINGS).map((candidate) => candidate.finding);
        },
      };
    },
  };
}

export const errorBurst: AnalyzerFactory = createErrorBurst();

function observedSpan(earliest: string | undefined, latest: string | undefined): number | undefined {
  if (earliest === undefined || latest === undefined) return undefined;
  const span = Date.parse(latest) - Date.parse(earliest);
  return Number.isFinite(span) && span > 0 ? span : undefined;
}

function windowSpan(window: { since: string; until: string }): number | undefined {
  const span = Date.parse(window.until) - Date.parse(window.since);
  return Number.isFinite(span) && span > 0 ? span : undefined;
}
