export interface ErrorSpec {
  /** Stable, documented code. */
  readonly code: string;
  /** What went wrong and what the user should do, with {placeholders}. */
  readonly message: string;
  /** True when retrying the same operation cannot help. */
  readonly permanent: boolean;
}

/**
 * An error with a stable code. The message is filled from the registry's
 * template so that wording lives in one place.
 */
export class CodedError extends Error {
  readonly code: string;
  readonly permanent: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(spec: ErrorSpec, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(fillTemplate(spec.message, details), options);
    this.name = 'CodedError';
    this.code = spec.code;
    this.permanent = spec.permanent;
    this.details = Object.freeze({ ...details });
  }
}

function fillTemplate(template: string, details: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in details ? String(details[key]) : whole));
}

export function isCodedError(value: unknown): value is CodedError {
  return value instanceof CodedError;
}
