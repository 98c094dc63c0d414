// What an answer (or its absence) means for an upload: done, worth another
// try after a pause, a stored upload the portal no longer has, or a refusal
// that no retry changes. Pure functions over status codes and headers, so
// the loop in upload.ts stays small and each case is tested from a table.
import type { TusAnswer } from './tus.ts';

export type Phase = 'create' | 'head' | 'patch';

export type Verdict =
  /** The request did what was asked. */
  | { readonly kind: 'ok' }
  /** Transient (no answer, 5xx, 408, 423, 429): pause and try again, `afterMs` if the portal said. */
  | { readonly kind: 'retry'; readonly reason: string; readonly afterMs?: number }
  /** 409 on PATCH: the portal holds other bytes than assumed; ask for the offset again. */
  | { readonly kind: 'resync'; readonly reason: string }
  /** The stored upload is gone (expired, or never this token's): start a new one. */
  | { readonly kind: 'gone' }
  | { readonly kind: 'token'; readonly detail: string }
  | { readonly kind: 'too-large'; readonly detail: string }
  | { readonly kind: 'not-a-bundle'; readonly detail: string }
  | { readonly kind: 'refused'; readonly detail: string };

/** Pauses before the 1st, 2nd, ... retry in a row; progress between failures starts the count again. */
export const defaultRetryDelaysMs: readonly number[] = [500, 1000, 2000, 4000, 8000];
/** A Retry-After longer than this is not waited for: the run fails and can be started again. */
const maxRetryAfterMs = 60_000;

const expected: Record<Phase, readonly number[]> = { create: [201], head: [200, 204], patch: [204, 200] };

export function judgeAnswer(answer: TusAnswer, phase: Phase, now: number = Date.now()): Verdict {
  const { status } = answer;
  if (expected[phase].includes(status)) return { kind: 'ok' };
  const detail = `HTTP ${status}${describeBody(answer.body)}`;
  if (status === 401 || status === 403) return { kind: 'token', detail };
  if (status === 413) return { kind: 'too-large', detail };
  if (status === 415 || status === 422) return { kind: 'not-a-bundle', detail };
  if ((status === 404 || status === 410) && phase !== 'create') return { kind: 'gone' };
  if (status === 409 && phase === 'patch') return { kind: 'resync', reason: detail };
  if (status === 408 || status === 423 || status === 429 || (status >= 500 && status !== 501 && status !== 505)) {
    const afterMs = retryAfterMs(header(answer, 'retry-after'), now);
    return { kind: 'retry', reason: detail, ...(afterMs !== undefined && { afterMs }) };
  }
  if (status >= 300 && status < 400) {
    const location = header(answer, 'location');
    return {
      kind: 'refused',
      detail: `HTTP ${status}, a redirect${location ? ` to ${location}` : ''}; give that address instead`,
    };
  }
  return { kind: 'refused', detail };
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from `now`; undefined when absent, past or too far. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > maxRetryAfterMs) return undefined;
  return seconds;
}

/** The portal's own words from an error body: its JSON `{error: {code, message}}`, else the text, shortened. */
export function describeBody(body: string): string {
  const text = body.trim();
  if (text === '') return '';
  let said = text;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    if (typeof message === 'string') said = typeof code === 'string' ? `${message} [${code}]` : message;
  } catch {
    // Not JSON: the text as it is.
  }
  const printable = said.replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]+/gu, ' ').trim();
  return `: ${printable.length > 300 ? `${printable.slice(0, 300)}...` : printable}`;
}

export function header(answer: TusAnswer, name: string): string | undefined {
  const value = answer.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
