import { describe, expect, it } from 'vitest';
import type { AnalyzerFactory } from '../../../../collector/analyze/analyzer.ts';
import { collectionGaps } from '../../../../collector/analyze/analyzers/collection-gaps.ts';
import { restartLoop } from '../../../../collector/analyze/analyzers/restart-loop.ts';
import { builtInAnalyzers } from '../../../../collector/analyze/index.ts';
import { analyze, containerLog, craftBundle, inspect } from './crafted-bundle.ts';

const throwsOnCreate: AnalyzerFactory = {
  name: 'broken-at-start',
  create() {
    throw new Error('no config');
  },
};

const throwsOnLine: AnalyzerFactory = {
  name: 'broken-on-a-line',
  create() {
    let lines = 0;
    return {
      observe() {
        lines++;
        if (lines === 2) throw new TypeError('cannot read properties of undefined');
      },
      finish: () => [],
    };
  },
};

const throwsAtEnd: AnalyzerFactory = {
  name: 'broken-at-end',
  create: () => ({
    async finish() {
      throw new RangeError('too deep');
    },
  }),
};

/** Counts the lines it saw, to show the others kept seeing them after one failed. */
function counter(): { factory: AnalyzerFactory; seen: () => number } {
  let seen = 0;
  return {
    seen: () => seen,
    factory: {
      name: 'counter',
      create: () => ({
        observe() {
          seen++;
        },
        finish: () => [],
      }),
    },
  };
}

describe('running the analyzers', () => {
  const bundle = () =>
    craftBundle({
      'containers/api/inspect.json': inspect(
        'api',
        { Status: 'restarting', Restarting: true, ExitCode: 1 },
        { restarts: 4 },
      ),
      'containers/api/container.log': containerLog(['one', 'two', 'three', 'four']),
    });

  it('turns an analyzer that throws — when made, on a line or at the end — into an info finding, and runs the rest', async () => {
    const count = counter();
    const findings = await analyze(bundle(), {
      analyzers: [throwsOnCreate, throwsOnLine, count.factory, throwsAtEnd, restartLoop],
    });
    expect(count.seen()).toBe(4);
    expect(findings.map((f) => [f.analyzer, f.severity, f.key])).toEqual([
      ['restart-loop', 'critical', 'restart-loop:api'],
      ['broken-at-end', 'info', 'analyzer-failed:broken-at-end'],
      ['broken-at-start', 'info', 'analyzer-failed:broken-at-start'],
      ['broken-on-a-line', 'info', 'analyzer-failed:broken-on-a-line'],
    ]);
    expect(findings.find((f) => f.analyzer === 'broken-on-a-line')?.title).toBe(
      'analyzer broken-on-a-line failed, so its findings are missing: cannot read properties of undefined',
    );
  });

  it('runs every built-in analyzer on a bundle with almost nothing in it without a failure', async () => {
    const findings = await analyze(craftBundle({}), { analyzers: builtInAnalyzers });
    expect(findings.filter((f) => f.key.startsWith('analyzer-failed:'))).toEqual([]);
    expect(builtInAnalyzers.map((factory) => factory.name)).toEqual([
      'restart-loop',
      'oom-killed',
      'unhealthy',
      'exited-nonzero',
      'disk-pressure',
      'memory-pressure',
      'clock-skew',
      'certificate-expiry',
      'error-burst',
      'collection-gaps',
      'known-issue',
    ]);
  });
});

describe('collection-gaps', () => {
  it('names collectors that failed, timed out or were skipped, and files cut by the size budget', async () => {
    const crafted = craftBundle(
      {},
      {
        collectors: [
          { name: 'host', status: 'ok', duration_ms: 100 },
          {
            name: 'docker_containers',
            status: 'failed',
            duration_ms: 30,
            error: { code: 'SHIPLOG_ERR_DOCKER_UNREACHABLE', message: 'connect EACCES /var/run/docker.sock\nmore' },
          },
          { name: 'container_logs', status: 'timeout', duration_ms: 300_000 },
          {
            name: 'syslog_files',
            status: 'skipped',
            duration_ms: 1,
            error: {
              code: 'SHIPLOG_ERR_COLLECTOR_SKIPPED',
              message: 'the syslog_files collector was skipped: none of /var/log/messages exists',
            },
          },
        ],
        truncations: [
          {
            path: 'containers/api/container.log',
            original_size: 3 * 1024 ** 3,
            kept_size: 200 * 1024 ** 2,
            reason: 'the bundle size budget (--max-size 500MiB) was reached',
          },
        ],
      },
    );
    const findings = await analyze(crafted, { analyzers: [collectionGaps] });
    expect(findings.map((f) => [f.severity, f.title])).toEqual([
      ['warning', 'collector container_logs did not finish in time'],
      ['warning', 'collector docker_containers failed: connect EACCES /var/run/docker.sock'],
      ['info', 'collector syslog_files was skipped: none of /var/log/messages exists'],
      ['info', "containers/api/container.log was cut to fit the bundle's size budget (200 MiB of 3.0 GiB kept)"],
    ]);
    expect(findings[1]?.evidence).toEqual([
      { kind: 'field', file: 'manifest.json', path: '/collectors/1/status', value: 'failed' },
      {
        kind: 'field',
        file: 'manifest.json',
        path: '/collectors/1/error/message',
        value: 'connect EACCES /var/run/docker.sock\nmore',
      },
    ]);
    expect(findings[3]?.key).toBe('collection-gaps:truncated:containers/api/container.log');
  });
});
