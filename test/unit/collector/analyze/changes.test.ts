import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { compareFindings } from '../../../../collector/analyze/changes.ts';
import type { Finding } from '../../../../collector/analyze/finding.ts';
import { listFindings, previousFindings, saveFindings } from '../../../../collector/analyze/store.ts';
import { openControl } from '../../../../collector/store/control.ts';
import { tempDir } from '../../../helpers/temp.ts';

const finding = (key: string, severity: Finding['severity'] = 'warning'): Finding => ({
  analyzer: key.split(':')[0] as string,
  severity,
  title: `title of ${key}`,
  detail: `detail of ${key}`,
  key,
  evidence: [{ kind: 'line', file: 'containers/api/container.log', line: 7 }],
});

describe('new since last time', () => {
  it('marks findings new or still by key, and gives back the ones that went away as resolved', () => {
    const previous = [
      { ...finding('restart-loop:api', 'critical'), state: 'new' as const },
      { ...finding('disk-pressure:/var'), state: 'still' as const },
      // Resolved in the previous bundle already: not a problem then, so not resolved again now.
      { ...finding('unhealthy:web'), state: 'resolved' as const },
    ];
    const current = [
      finding('restart-loop:api', 'critical'),
      finding('oom-killed:ledger', 'critical'),
      finding('unhealthy:web'),
    ];
    const { findings, resolved } = compareFindings(previous, current);
    expect(findings.map((f) => [f.key, f.state])).toEqual([
      ['restart-loop:api', 'still'],
      ['oom-killed:ledger', 'new'],
      ['unhealthy:web', 'new'],
    ]);
    expect(resolved).toEqual([{ ...finding('disk-pressure:/var'), state: 'resolved' }]);
  });

  it('calls everything new for a site seen for the first time', () => {
    const { findings, resolved } = compareFindings(undefined, [finding('restart-loop:api')]);
    expect(findings.map((f) => f.state)).toEqual(['new']);
    expect(resolved).toEqual([]);
  });
});

describe('findings in control.db', () => {
  const open: DatabaseSync[] = [];
  afterAll(() => {
    for (const db of open) db.close();
  });

  function database(): DatabaseSync {
    const db = openControl(join(tempDir('shiplog-findings-'), 'control.db'));
    open.push(db);
    db.prepare(`INSERT INTO tenants (name, created_at) VALUES ('acme', '2025-01-01T00:00:00Z')`).run();
    return db;
  }

  function bundle(db: DatabaseSync, id: string, createdAt: string, site = 'app-01', status = 'indexed'): void {
    db.prepare(
      `INSERT INTO bundles (id, tenant, sha256, size, received_at, status, site, created_at)
       VALUES (?, 'acme', ?, 1, '2025-06-01T00:00:00Z', ?, ?, ?)`,
    ).run(id, id.padEnd(64, '0'), status, site, createdAt);
  }

  it('saves, lists and replaces a bundle’s findings with their evidence', () => {
    const db = database();
    bundle(db, 'b1', '2025-06-01T12:00:00Z');
    const { findings, resolved } = compareFindings(undefined, [
      finding('disk-pressure:/var'),
      finding('restart-loop:api', 'critical'),
    ]);
    saveFindings(db, { bundle: 'b1', tenant: 'acme', site: 'app-01' }, [...findings, ...resolved]);
    const listed = listFindings(db, 'b1');
    expect(listed.map((f) => [f.key, f.severity, f.state])).toEqual([
      ['restart-loop:api', 'critical', 'new'],
      ['disk-pressure:/var', 'warning', 'new'],
    ]);
    expect(listed[0]).toEqual({ ...finding('restart-loop:api', 'critical'), state: 'new', bundle: 'b1' });
    // A reindex replaces them.
    saveFindings(db, { bundle: 'b1', tenant: 'acme', site: 'app-01' }, []);
    expect(listFindings(db, 'b1')).toEqual([]);
  });

  it('finds the previous indexed bundle of the same site, and tracks a problem across three bundles', () => {
    const db = database();
    const where = (bundle: string) => ({ bundle, tenant: 'acme', site: 'app-01' });
    bundle(db, 'b1', '2025-06-01T12:00:00Z');
    bundle(db, 'b2', '2025-06-02T12:00:00Z');
    bundle(db, 'b3', '2025-06-03T12:00:00Z');
    bundle(db, 'other-site', '2025-06-02T18:00:00Z', 'app-02');
    bundle(db, 'rejected', '2025-06-02T19:00:00Z', 'app-01', 'rejected');
    expect(previousFindings(db, 'acme', 'app-01', '2025-06-01T12:00:00Z')).toBeUndefined();

    const first = compareFindings(undefined, [finding('restart-loop:api'), finding('disk-pressure:/var')]);
    saveFindings(db, where('b1'), [...first.findings, ...first.resolved]);

    const before2 = previousFindings(db, 'acme', 'app-01', '2025-06-02T12:00:00Z');
    expect(before2?.bundle).toBe('b1');
    const second = compareFindings(before2?.findings, [finding('restart-loop:api')]);
    saveFindings(db, where('b2'), [...second.findings, ...second.resolved]);
    expect(listFindings(db, 'b2').map((f) => [f.key, f.state])).toEqual([
      ['restart-loop:api', 'still'],
      ['disk-pressure:/var', 'resolved'],
    ]);

    const before3 = previousFindings(db, 'acme', 'app-01', '2025-06-03T12:00:00Z');
    expect(before3?.bundle).toBe('b2');
    const third = compareFindings(before3?.findings, [finding('restart-loop:api'), finding('disk-pressure:/var')]);
    // The disk filled again after it was resolved: new again.
    expect(third.findings.map((f) => [f.key, f.state])).toEqual([
      ['restart-loop:api', 'still'],
      ['disk-pressure:/var', 'new'],
    ]);
  });

  it('deletes a bundle’s findings with the bundle', () => {
    const db = database();
    bundle(db, 'b1', '2025-06-01T12:00:00Z');
    saveFindings(
      db,
      { bundle: 'b1', tenant: 'acme', site: 'app-01' },
      compareFindings(undefined, [finding('a:b')]).findings,
    );
    db.prepare(`DELETE FROM bundles WHERE id = 'b1'`).run();
    expect(listFindings(db, 'b1')).toEqual([]);
  });
});
