import { describe, expect, it } from 'vitest';
import { errorBurst } from '../../../../collector/analyze/analyzers/error-burst.ts';
import { analyze, craftBundle, inspect } from './crafted-bundle.ts';

const start = Date.parse('2025-06-01T01:00:00Z');
const stamp = (seconds: number) => new Date(start + seconds * 1000).toISOString();

/** container.log text from [seconds after start, text] pairs, in time order. */
function log(entries: Array<[number, string]>): string {
  return `${entries
    .sort((a, b) => a[0] - b[0])
    .map(([at, text]) => `${stamp(at)} stdout ${text}`)
    .join('\n')}\n`;
}

describe('error-burst', () => {
  // Ten hours of an api answering requests, with 300 refused connections in one minute halfway through.
  const api: Array<[number, string]> = [];
  for (let i = 0; i < 1000; i++) api.push([i * 36, `INFO request ${i} served in ${i % 90}ms`]);
  for (let i = 0; i < 300; i++) api.push([18_000 + i / 6, `ERROR connection to 10.0.0.${i % 4}:5432 refused`]);
  for (let i = 0; i < 5; i++) api.push([i * 7000 + 3, `ERROR cache miss storm for key user:${i}`]);
  // A worker failing a job every four minutes, all ten hours, with no level word.
  const worker: Array<[number, string]> = [];
  for (let i = 0; i < 150; i++) worker.push([i * 240 + 1, `failed to process job ${1000 + i}: deadline exceeded`]);
  for (let i = 0; i < 150; i++) worker.push([i * 240 + 2, `processed job ${5000 + i} in ${i}ms`]);

  const bundle = () =>
    craftBundle({
      'containers/api/inspect.json': inspect('api', {}),
      'containers/api/container.log': log(api),
      'containers/worker/inspect.json': inspect('worker', {}, { image: 'acme/worker:3.1.0' }),
      'containers/worker/container.log': log(worker),
      // The bundle's own summary is no log: its words do not count.
      'SUMMARY.txt': `${'RED    container api failed its error checks\n'.repeat(200)}`,
    });

  it('names the burst with its peak, total and place, with the first lines and the peak as evidence', async () => {
    const findings = await analyze(bundle(), { analyzers: [errorBurst] });
    const burst = findings.find((f) => f.title.startsWith('error burst'));
    expect(burst?.title).toBe('error burst in api: 300 × "ERROR connection to <IP> refused" within 60 s (300 in all)');
    expect(burst?.severity).toBe('warning');
    expect(burst?.key).toMatch(/^error-burst:[0-9a-f]{12}$/);
    const first = log(api)
      .split('\n')
      .findIndex((line) => line.includes('ERROR connection'));
    expect(burst?.evidence.map((e) => e.kind === 'line' && e.line)).toEqual([first + 1, first + 2, first + 3]);
    expect(burst?.detail).toContain('ERROR connection to 10.0.0.0:5432 refused');
    expect(burst?.detail).toContain(`The busiest 60 s began at ${stamp(18_000)}`);
  });

  it('names an error repeated all along (no level, an error word) as frequent, and not the rare or the benign', async () => {
    const findings = await analyze(bundle(), { analyzers: [errorBurst] });
    expect(findings.map((f) => f.title)).toEqual([
      'error burst in api: 300 × "ERROR connection to <IP> refused" within 60 s (300 in all)',
      'frequent error in worker: 150 × "failed to process job <NUM>: deadline exceeded"',
    ]);
    const frequent = findings[1];
    expect(frequent?.evidence).toEqual([
      { kind: 'line', file: 'containers/worker/container.log', line: 1 },
      { kind: 'line', file: 'containers/worker/container.log', line: 3 },
      { kind: 'line', file: 'containers/worker/container.log', line: 5 },
    ]);
  });

  it('keeps the same key for the same error in the next bundle', async () => {
    const first = await analyze(bundle(), { analyzers: [errorBurst] });
    const second = await analyze(bundle(), { analyzers: [errorBurst] });
    expect(second.map((f) => f.key)).toEqual(first.map((f) => f.key));
  });

  it('makes a fatal error critical', async () => {
    const lines: Array<[number, string]> = [];
    for (let i = 0; i < 120; i++) lines.push([i * 300, `FATAL pool ${i % 3} exhausted`]);
    const crafted = craftBundle({
      'containers/db/inspect.json': inspect('db', {}),
      'containers/db/container.log': log(lines),
    });
    const [finding] = await analyze(crafted, { analyzers: [errorBurst] });
    expect(finding?.severity).toBe('critical');
    expect(finding?.title).toBe('frequent error in db: 120 × "FATAL pool <NUM> exhausted"');
  });
});
