// One bundle, for the start of an escalation: what the analyzers found
// first (new since the site's previous bundle, still there, or resolved, and
// which other sites show the same), then what the agent said in SUMMARY.txt,
// each collector's outcome, the host, the containers, what redaction did,
// and every file, with a viewer for text and a download of the original.
import { get } from './api.js';
import type { PageContext } from './app.js';
import { type Child, h, replace, visible } from './dom.js';
import { bytes, count, duration, time } from './format.js';
import type { Bundle, Container, Evidence, FileEntry, Finding } from './types.js';
import { badge, definitionList, errorBox, section, table } from './widgets.js';

interface Overview {
  readonly bundle: Bundle;
  readonly manifest?: {
    readonly created_at: string;
    readonly tool: { readonly version: string };
    readonly host: { readonly name: string; readonly os?: string; readonly kernel?: string };
    readonly window: { readonly since: string; readonly until: string };
    readonly collectors: readonly {
      readonly name: string;
      readonly status: string;
      readonly duration_ms: number;
      readonly error?: { readonly code: string; readonly message: string };
    }[];
    readonly redaction: {
      readonly packs: readonly { readonly name: string; readonly version: string }[];
      readonly by_rule: Record<string, number>;
      readonly by_category: Record<string, number>;
      readonly rescan: string;
    };
    readonly truncations: readonly {
      readonly path: string;
      readonly original_size: number;
      readonly kept_size: number;
      readonly reason: string;
    }[];
    readonly files: number;
  };
  readonly facts?: { readonly host?: unknown; readonly containers: readonly Container[] };
  readonly summary: readonly { readonly level: string; readonly text: string }[];
  readonly findings: readonly Finding[];
  readonly clock: { readonly created_at: string | null; readonly received_at: string; readonly host_ahead_ms?: number };
  readonly files_available: boolean;
}

export async function bundlePage({ main, gone }: PageContext, id: string): Promise<void> {
  const overview = await get<Overview>(`/bundles/${encodeURIComponent(id)}/overview`);
  if (gone()) return;
  const { bundle, manifest } = overview;
  const base = `/bundles/${encodeURIComponent(bundle.id)}`;
  const title = bundle.site ?? bundle.original_name ?? bundle.id;
  const filesBox = h('div', null, h('p', { class: 'muted' }, 'Loading the file list…'));
  replace(
    main,
    h('h1', null, visible(title), ' ', badge(bundle.status, bundle.status)),
    h(
      'p',
      { class: 'actions' },
      bundle.status === 'indexed' && [
        h('a', { href: `${base}/timeline` }, 'Timeline'),
        ' · ',
        h('a', { href: `/search?bundle=${encodeURIComponent(bundle.id)}` }, 'Search this bundle'),
        ' · ',
      ],
      bundle.site && [
        h(
          'a',
          { href: `/sites/${encodeURIComponent(bundle.tenant)}/${encodeURIComponent(bundle.site)}` },
          'Site history',
        ),
        ' · ',
      ],
      h(
        'a',
        { href: `/api/v1/bundles/${encodeURIComponent(bundle.id)}/download`, download: '' },
        'Download the original',
      ),
    ),
    bundle.error && errorBox(new Error(`${bundle.error.code}: ${bundle.error.message}`)),
    definitionList([
      ['Tenant', visible(bundle.tenant)],
      ['Made', manifest ? `${time(manifest.created_at)} by shiplog ${manifest.tool.version}` : time(bundle.created_at)],
      ['Received', time(bundle.received_at)],
      ['Window', manifest ? `${time(manifest.window.since)} to ${time(manifest.window.until)}` : undefined],
      ['Signed by', bundle.signer && h('code', null, bundle.signer)],
      ['Encrypted', bundle.encrypted === undefined ? undefined : bundle.encrypted ? 'yes' : 'no'],
      ['Size', `${bytes(bundle.size)}${manifest ? `, ${count(manifest.files)} files` : ''}`],
      ['Lines indexed', bundle.lines === undefined ? undefined : count(bundle.lines)],
      ['Name', bundle.original_name && visible(bundle.original_name)],
    ]),
    findingsSection(base, overview.findings),
    overview.summary.length > 0 &&
      section(
        'Summary (SUMMARY.txt)',
        'summary',
        h(
          'ul',
          { class: 'lights' },
          overview.summary.map((line) =>
            h('li', null, badge(line.level, line.level.toLowerCase()), ' ', visible(line.text)),
          ),
        ),
      ),
    manifest &&
      section(
        'Collectors',
        'collectors',
        table(
          ['Collector', 'Outcome', 'Took', 'Error'],
          manifest.collectors.map((run) => [
            visible(run.name),
            badge(run.status, run.status === 'ok' ? 'green' : run.status === 'skipped' ? 'muted' : 'red'),
            duration(run.duration_ms),
            run.error ? [h('code', null, visible(run.error.code)), ' ', visible(run.error.message)] : '',
          ]),
        ),
      ),
    overview.facts?.host !== undefined && section('Host', 'host', hostFacts(overview.facts.host)),
    overview.facts && section('Containers', 'containers', containerTable(overview.facts.containers)),
    manifest && section('Redaction', 'redaction', redaction(manifest)),
    section('Files', 'files', filesBox),
  );
  if (!overview.files_available) {
    replace(filesBox, h('p', { class: 'muted' }, `The files are not available: the bundle is ${bundle.status}.`));
    return;
  }
  const { files } = await get<{ files: FileEntry[] }>(`/bundles/${encodeURIComponent(bundle.id)}/files`);
  if (gone()) return;
  replace(filesBox, fileTree(base, files));
}

function findingsSection(base: string, findings: readonly Finding[]): HTMLElement {
  if (findings.length === 0)
    return section('Findings', 'findings', h('p', null, 'The analyzers found nothing to report.'));
  return section(
    'Findings',
    'findings',
    h(
      'ul',
      { class: 'findings' },
      findings.map((finding) => {
        const elsewhere = h('div', { class: 'elsewhere' });
        return h(
          'li',
          { class: `finding finding-${finding.severity} finding-${finding.state}` },
          h(
            'div',
            { class: 'finding-head' },
            badge(finding.severity, finding.severity),
            ' ',
            badge(finding.state === 'still' ? 'still present' : finding.state, finding.state),
            ' ',
            h('strong', null, visible(finding.title)),
            ' ',
            h('span', { class: 'muted' }, finding.analyzer),
          ),
          finding.detail && h('p', null, visible(finding.detail)),
          finding.evidence.length > 0 &&
            h(
              'ul',
              { class: 'evidence' },
              finding.evidence.slice(0, 20).map((item) => h('li', null, evidence(base, item))),
            ),
          finding.state !== 'resolved' &&
            h(
              'button',
              { type: 'button', class: 'link', on: { click: () => void showElsewhere(finding.key, elsewhere) } },
              'Which other sites have this?',
            ),
          elsewhere,
        );
      }),
    ),
  );
}

function evidence(base: string, item: Evidence): Child {
  const file = visible(item.file);
  if (item.kind === 'line' && item.line !== undefined) {
    return h(
      'a',
      { href: `${base}/file?${new URLSearchParams({ path: item.file, line: String(item.line) })}` },
      file,
      `, line ${item.line}`,
    );
  }
  return [
    h('a', { href: `${base}/file?${new URLSearchParams({ path: item.file })}` }, file),
    ' ',
    h('code', null, visible(item.path ?? '')),
    ' = ',
    h('code', null, visible(JSON.stringify(item.value) ?? '')),
  ];
}

async function showElsewhere(key: string, box: HTMLElement): Promise<void> {
  replace(box, h('p', { class: 'muted' }, 'Looking…'));
  try {
    const { sites } = await get<{
      sites: { tenant: string; site: string; bundle: string; created_at: string | null; images: string[] }[];
    }>('/findings/elsewhere', { key });
    replace(
      box,
      sites.length <= 1
        ? h('p', null, 'No other site you may read shows this.')
        : table(
            ['Site', 'Tenant', 'Bundle made', 'Images'],
            sites.map((site) => [
              h(
                'a',
                { href: `/sites/${encodeURIComponent(site.tenant)}/${encodeURIComponent(site.site)}` },
                visible(site.site),
              ),
              visible(site.tenant),
              h('a', { href: `/bundles/${encodeURIComponent(site.bundle)}` }, time(site.created_at)),
              visible(site.images.join(', ')),
            ]),
          ),
    );
  } catch (error) {
    replace(box, errorBox(error));
  }
}

/** host.json as terms and values: scalars as they are, lists and objects one level deep. */
function hostFacts(host: unknown): HTMLElement {
  if (host === null || typeof host !== 'object') return h('p', null, visible(String(host)));
  const entries: [string, Child][] = [];
  const add = (prefix: string, value: unknown, depth: number) => {
    if (entries.length > 200) return;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 2) {
      for (const [key, child] of Object.entries(value)) add(prefix ? `${prefix}.${key}` : key, child, depth + 1);
    } else if (Array.isArray(value) && value.every((item) => item !== null && typeof item === 'object')) {
      entries.push([prefix, h('pre', { class: 'json' }, visible(JSON.stringify(value, null, 1).slice(0, 20_000)))]);
    } else {
      entries.push([prefix, visible(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''))]);
    }
  };
  add('', host, 0);
  return definitionList(entries);
}

function containerTable(containers: readonly Container[]): HTMLElement {
  if (containers.length === 0) return h('p', null, 'The bundle lists no container.');
  return table(
    ['Name', 'Image', 'State', 'Exit code', 'Restarts', 'OOM-killed', 'Health'],
    containers.map((c) => [
      visible(c.name),
      visible(c.image ?? '-'),
      c.state ? badge(c.state, c.state === 'running' ? 'green' : c.state === 'restarting' ? 'red' : 'amber') : '-',
      c.exit_code === undefined ? '-' : h('span', { class: c.exit_code === 0 ? '' : 'bad' }, String(c.exit_code)),
      c.restart_count === undefined
        ? '-'
        : h('span', { class: c.restart_count > 0 ? 'bad' : '' }, String(c.restart_count)),
      c.oom_killed === undefined ? '-' : c.oom_killed ? badge('yes', 'red') : 'no',
      c.health ? badge(c.health, c.health === 'healthy' ? 'green' : 'red') : '-',
    ]),
  );
}

function redaction(manifest: NonNullable<Overview['manifest']>): Child {
  const report = manifest.redaction;
  const rows = (record: Record<string, number>) =>
    Object.entries(record)
      .sort((a, b) => b[1] - a[1])
      .map(([name, n]) => [visible(name), count(n)]);
  const total = Object.values(report.by_category).reduce((sum, n) => sum + n, 0);
  return [
    h(
      'p',
      null,
      `${count(total)} values were masked or replaced before the bundle left the host; the final re-scan was ${report.rescan}. Rule packs: `,
      visible(report.packs.map((pack) => `${pack.name} ${pack.version}`).join(', ')),
      '.',
    ),
    total > 0 && table(['Category', 'Count'], rows(report.by_category)),
    total > 0 && table(['Rule', 'Count'], rows(report.by_rule)),
    manifest.truncations.length > 0 &&
      table(
        ['Cut file', 'Original', 'Kept', 'Why'],
        manifest.truncations.map((cut) => [
          visible(cut.path),
          bytes(cut.original_size),
          bytes(cut.kept_size),
          visible(cut.reason),
        ]),
        'Files cut to fit the size budget',
      ),
  ];
}

interface Folder {
  readonly folders: Map<string, Folder>;
  readonly files: FileEntry[];
}

function fileTree(base: string, files: readonly FileEntry[]): HTMLElement {
  const root: Folder = { folders: new Map(), files: [] };
  for (const file of files) {
    const parts = file.path.split('/');
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.get(part);
      if (!next) {
        next = { folders: new Map(), files: [] };
        folder.folders.set(part, next);
      }
      folder = next;
    }
    folder.files.push(file);
  }
  const draw = (folder: Folder, depth: number): HTMLElement =>
    h(
      'ul',
      { class: 'tree' },
      [...folder.folders.entries()]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([name, child]) =>
          h(
            'li',
            null,
            h(
              'details',
              depth === 0 && folder.folders.size < 6 ? { open: true } : null,
              h('summary', null, visible(name), '/'),
              draw(child, depth + 1),
            ),
          ),
        ),
      folder.files.map((file) =>
        h(
          'li',
          null,
          h(
            'a',
            { href: `${base}/file?${new URLSearchParams({ path: file.path })}` },
            visible(file.path.slice(file.path.lastIndexOf('/') + 1)),
          ),
          ' ',
          h('span', { class: 'muted' }, bytes(file.size)),
          file.redactions ? [' ', badge(`${file.redactions} redacted`, 'muted')] : null,
        ),
      ),
    );
  return draw(root, 0);
}
