// The pages' only way to the server: the same JSON API scripts use, with the
// session cookie, and the session's CSRF token on every change. An error
// answer becomes an ApiError with the portal's stable code and message.

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export type { Me } from './types.js';

let csrf = '';
let onSignedOut: () => void = () => {};

export function setCsrf(token: string | undefined): void {
  csrf = token ?? '';
}

export function csrfToken(): string {
  return csrf;
}

export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function get<T>(path: string, query?: Query): Promise<T> {
  return call<T>('GET', withQuery(`/api/v1${path}`, query));
}

export async function send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  return call<T>(method, `/api/v1${path}`, body);
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'the portal did not answer; check the connection and try again');
  }
  const answer = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!response.ok) {
    const error = answer.error ?? { code: `HTTP_${response.status}`, message: response.statusText };
    if (response.status === 401 && !url.endsWith('/api/v1/session')) onSignedOut();
    throw new ApiError(response.status, error.code, error.message);
  }
  return answer as T;
}
