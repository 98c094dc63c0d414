// What an analyzer reports: one problem it can name, how bad it is, and the
// exact lines or JSON fields of the bundle that show it, so a support
// engineer can open the evidence instead of searching for it. `key` names
// "the same problem" across the bundles of one site (restart-loop:api), which
// is what tells a new problem from one that is still there (changes.ts).

export type Severity = 'critical' | 'warning' | 'info';

/** A line of a text file in the bundle (1-based), as the index numbers it. */
export interface LineEvidence {
  readonly kind: 'line';
  readonly file: string;
  readonly line: number;
}

/** A value inside a JSON document of the bundle, by JSON pointer (RFC 6901). */
export interface FieldEvidence {
  readonly kind: 'field';
  readonly file: string;
  readonly path: string;
  readonly value: unknown;
}

export type Evidence = LineEvidence | FieldEvidence;

export interface Finding {
  /** The analyzer's name (restart-loop, error-burst, ...). */
  readonly analyzer: string;
  readonly severity: Severity;
  /** One line, the first thing a support engineer reads. */
  readonly title: string;
  /** More: counts, exit codes, a probe's output, what to look at next. */
  readonly detail?: string;
  /** Stable identity of the problem across bundles of a site, `<analyzer>:<subject>`. */
  readonly key: string;
  readonly evidence: readonly Evidence[];
}

/** Whether a finding is new since the site's previous bundle, still there, or gone. */
export type FindingState = 'new' | 'still' | 'resolved';

export interface TrackedFinding extends Finding {
  readonly state: FindingState;
}

/** Worst first: critical, warning, info. */
export const severityRank: Readonly<Record<Severity, number>> = { critical: 0, warning: 1, info: 2 };

export function bySeverity(a: Finding, b: Finding): number {
  return severityRank[a.severity] - severityRank[b.severity] || a.key.localeCompare(b.key);
}

export function lineAt(file: string, line: number): LineEvidence {
  return { kind: 'line', file, line };
}

export function fieldAt(file: string, path: readonly (string | number)[], value: unknown): FieldEvidence {
  return { kind: 'field', file, path: jsonPointer(path), value };
}

/** RFC 6901: "/" between parts, "~" as "~0" and "/" as "~1" inside a part. */
export function jsonPointer(parts: readonly (string | number)[]): string {
  return parts.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Text from a bundle cut to `max` characters for a title or detail, on one line when asked. */
export function clip(text: string, max: number, oneLine = false): string {
  const flat = oneLine ? text.replace(/\s+/g, ' ').trim() : text;
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * A copy of `text` that does not keep the string it was cut from alive (V8
 * shares the characters of a slice with its source): for the few strings an
 * analyzer keeps from lines that may be long.
 */
export function detached(text: string): string {
  return ` ${text}`.slice(1);
}
