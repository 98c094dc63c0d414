import { describe, expect, it } from 'vitest';
import { describeBody, judgeAnswer, type Phase, retryAfterMs } from '../../../../agent/upload/retry.ts';
import type { TusAnswer } from '../../../../agent/upload/tus.ts';

const answer = (status: number, headers: Record<string, string> = {}, body = ''): TusAnswer => ({
  status,
  headers,
  body,
});

describe('what an answer means for the upload', () => {
  const cases: Array<[Phase, number, string]> = [
    ['create', 201, 'ok'],
    ['head', 200, 'ok'],
    ['patch', 204, 'ok'],
    ['create', 200, 'refused'],
    ['create', 401, 'token'],
    ['head', 401, 'token'],
    ['patch', 403, 'token'],
    ['create', 413, 'too-large'],
    ['patch', 413, 'too-large'],
    ['patch', 415, 'not-a-bundle'],
    ['patch', 422, 'not-a-bundle'],
    ['head', 404, 'gone'],
    ['patch', 404, 'gone'],
    ['head', 410, 'gone'],
    ['patch', 410, 'gone'],
    ['create', 404, 'refused'],
    ['patch', 409, 'resync'],
    ['create', 409, 'refused'],
    ['create', 412, 'refused'],
    ['patch', 400, 'refused'],
    ['patch', 408, 'retry'],
    ['head', 423, 'retry'],
    ['create', 429, 'retry'],
    ['create', 500, 'retry'],
    ['patch', 502, 'retry'],
    ['head', 503, 'retry'],
    ['patch', 504, 'retry'],
    ['patch', 507, 'retry'],
    ['create', 501, 'refused'],
    ['create', 301, 'refused'],
  ];
  it.each(cases)('%s answered %i: %s', (phase, status, kind) => {
    expect(judgeAnswer(answer(status), phase).kind).toBe(kind);
  });

  it('waits as long as Retry-After says, when it says something reasonable', () => {
    const now = Date.parse('2026-11-25T03:00:00Z');
    expect(judgeAnswer(answer(503, { 'retry-after': '7' }), 'patch', now)).toEqual({
      kind: 'retry',
      reason: 'HTTP 503',
      afterMs: 7000,
    });
    expect(retryAfterMs('Wed, 25 Nov 2026 03:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('3600', now)).toBeUndefined();
    expect(retryAfterMs('Wed, 25 Nov 2026 02:00:00 GMT', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it("names a redirect's target, since that is the address to give instead", () => {
    const verdict = judgeAnswer(answer(308, { location: 'https://portal.example.com/api/v1/uploads' }), 'create');
    expect(verdict).toEqual({
      kind: 'refused',
      detail: 'HTTP 308, a redirect to https://portal.example.com/api/v1/uploads; give that address instead',
    });
  });

  it("quotes the portal's coded error, and shortens and cleans any other text", () => {
    const coded = JSON.stringify({ error: { code: 'COLLECTOR_ERR_TOKEN_UNKNOWN', message: 'unknown token.' } });
    expect(judgeAnswer(answer(401, {}, coded), 'create')).toEqual({
      kind: 'token',
      detail: 'HTTP 401: unknown token. [COLLECTOR_ERR_TOKEN_UNKNOWN]',
    });
    expect(describeBody('Upload-Offset conflict\n')).toBe(': Upload-Offset conflict');
    expect(describeBody('')).toBe('');
    expect(describeBody('evil\u001b[31mred\u202etext')).toBe(': evil [31mred text');
    expect(describeBody('x'.repeat(1000))).toHaveLength(2 + 300 + 3);
  });
});
