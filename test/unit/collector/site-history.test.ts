// What changed between a site's consecutive bundles, as the site page shows it.
import { describe, expect, it } from 'vitest';
import { type SiteBundle, siteChanges } from '../../../collector/site-history.ts';

const first: SiteBundle = {
  id: 'b1',
  createdAt: '2026-11-01T00:00:00Z',
  toolVersion: '0.1.0',
  engineVersion: '27.0.1',
  containers: [
    { name: 'api', image: 'vendor/api:4.1.0', state: 'running', restart_count: 0 },
    { name: 'worker', image: 'vendor/worker:4.1.0', state: 'running', restart_count: 2 },
    { name: 'old-cron', image: 'vendor/cron:1', state: 'exited' },
  ],
  findings: [{ key: 'restart-loop:worker', title: 'worker restarts', severity: 'critical', state: 'new' }],
};

const second: SiteBundle = {
  id: 'b2',
  createdAt: '2026-11-08T00:00:00Z',
  toolVersion: '0.2.0',
  engineVersion: '27.0.1',
  containers: [
    { name: 'api', image: 'vendor/api:4.2.0', state: 'running', restart_count: 0 },
    { name: 'worker', image: 'vendor/worker:4.1.0', state: 'restarting', restart_count: 40 },
    { name: 'cache', image: 'redis:7' },
  ],
  findings: [
    { key: 'oom-killed:worker', title: 'worker OOM', severity: 'critical', state: 'new' },
    { key: 'restart-loop:worker', title: 'worker restarts', severity: 'critical', state: 'still' },
    { key: 'disk:/', title: 'disk full', severity: 'warning', state: 'resolved' },
  ],
};

describe('siteChanges', () => {
  it('says nothing for one bundle', () => {
    expect(siteChanges([first])).toEqual([]);
  });

  it('names versions, containers added and gone, image roll-outs, restarts and state, and findings new or resolved', () => {
    // Given newest first, as a list may come: the order of making decides.
    const [change] = siteChanges([second, first]);
    expect(change?.from).toBe('b1');
    expect(change?.bundle).toBe('b2');
    expect(change?.versions).toEqual([{ what: 'shiplog', before: '0.1.0', after: '0.2.0' }]);
    expect(change?.containers).toEqual([
      { name: 'api', change: 'image', before: 'vendor/api:4.1.0', after: 'vendor/api:4.2.0' },
      { name: 'worker', change: 'restarts', before: 2, after: 40 },
      { name: 'worker', change: 'state', before: 'running', after: 'restarting' },
      { name: 'cache', change: 'added', after: 'redis:7' },
      { name: 'old-cron', change: 'gone', before: 'vendor/cron:1' },
    ]);
    expect(change?.findingsNew).toEqual([{ key: 'oom-killed:worker', title: 'worker OOM', severity: 'critical' }]);
    expect(change?.findingsResolved).toEqual([{ key: 'disk:/', title: 'disk full', severity: 'warning' }]);
  });

  it('does not report a restart count that went down (the container was recreated)', () => {
    const recreated: SiteBundle = {
      ...second,
      containers: [{ name: 'worker', image: 'vendor/worker:4.1.0', state: 'running', restart_count: 0 }],
    };
    const [change] = siteChanges([{ ...first, containers: [first.containers[1] as never] }, recreated]);
    expect(change?.containers).toEqual([]);
  });
});
