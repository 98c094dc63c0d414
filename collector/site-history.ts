// A site's history: its bundles in the order they were made, and what
// changed from each to the next as a support engineer asks it: the agent and
// engine versions, containers that came or went, images that changed (a new
// version rolled out), restart counts that grew, states that changed, and
// the findings that are new or resolved. Pure: it reads what ingest stored.
import type { ContainerFacts } from './ingest/facts.ts';

export interface SiteBundle {
  readonly id: string;
  readonly createdAt: string | null;
  readonly toolVersion?: string;
  readonly engineVersion?: string;
  readonly containers: readonly ContainerFacts[];
  readonly findings: readonly {
    readonly key: string;
    readonly title: string;
    readonly severity: string;
    readonly state: string;
  }[];
}

export interface ContainerChange {
  readonly name: string;
  readonly change: 'added' | 'gone' | 'image' | 'restarts' | 'state';
  readonly before?: string | number;
  readonly after?: string | number;
}

export interface BundleChanges {
  /** The earlier bundle of the pair; the changes lead from it to `bundle`. */
  readonly from: string;
  readonly bundle: string;
  readonly versions: readonly {
    readonly what: 'shiplog' | 'docker';
    readonly before?: string;
    readonly after?: string;
  }[];
  readonly containers: readonly ContainerChange[];
  readonly findingsNew: readonly { readonly key: string; readonly title: string; readonly severity: string }[];
  readonly findingsResolved: readonly { readonly key: string; readonly title: string; readonly severity: string }[];
}

export function siteChanges(bundles: readonly SiteBundle[]): BundleChanges[] {
  const ordered = [...bundles].sort(
    (a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.id.localeCompare(b.id),
  );
  const changes: BundleChanges[] = [];
  for (let i = 1; i < ordered.length; i++) {
    changes.push(compare(ordered[i - 1] as SiteBundle, ordered[i] as SiteBundle));
  }
  return changes;
}

function compare(before: SiteBundle, after: SiteBundle): BundleChanges {
  const versions: BundleChanges['versions'][number][] = [];
  if (before.toolVersion !== after.toolVersion) {
    versions.push({ what: 'shiplog', ...opt('before', before.toolVersion), ...opt('after', after.toolVersion) });
  }
  if (before.engineVersion !== after.engineVersion) {
    versions.push({ what: 'docker', ...opt('before', before.engineVersion), ...opt('after', after.engineVersion) });
  }
  const old = new Map(before.containers.map((c) => [c.name, c]));
  const now = new Map(after.containers.map((c) => [c.name, c]));
  const containers: ContainerChange[] = [];
  for (const [name, c] of now) {
    const was = old.get(name);
    if (!was) {
      containers.push({ name, change: 'added', ...opt('after', c.image) });
      continue;
    }
    if (was.image !== c.image)
      containers.push({ name, change: 'image', ...opt('before', was.image), ...opt('after', c.image) });
    if ((c.restart_count ?? 0) > (was.restart_count ?? 0)) {
      containers.push({ name, change: 'restarts', before: was.restart_count ?? 0, after: c.restart_count ?? 0 });
    }
    if (was.state !== c.state)
      containers.push({ name, change: 'state', ...opt('before', was.state), ...opt('after', c.state) });
  }
  for (const [name, c] of old) if (!now.has(name)) containers.push({ name, change: 'gone', ...opt('before', c.image) });
  const pick = (state: string) =>
    after.findings
      .filter((finding) => finding.state === state)
      .map(({ key, title, severity }) => ({ key, title, severity }));
  return {
    from: before.id,
    bundle: after.id,
    versions,
    containers,
    findingsNew: pick('new'),
    findingsResolved: pick('resolved'),
  };
}

function opt<K extends string, V extends string | number>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
