// A site's history: its bundles in the order they were made, and between
// each two what changed: versions, containers added or gone, images rolled
// out, restart counts that grew, and findings that are new or resolved.
import { get } from './api.js';
import type { PageContext } from './app.js';
import { type Child, h, replace, visible } from './dom.js';
import { count, time } from './format.js';
import type { SiteHistory } from './types.js';
import { badge, section, table } from './widgets.js';

type Change = SiteHistory['changes'][number];

export async function sitePage({ main, gone }: PageContext, tenant: string, site: string): Promise<void> {
  const history = await get<SiteHistory>(`/sites/${encodeURIComponent(tenant)}/${encodeURIComponent(site)}`);
  if (gone()) return;
  const changeOf = new Map(history.changes.map((change) => [change.bundle, change]));
  const link = (id: string, text: Child) => h('a', { href: `/bundles/${encodeURIComponent(id)}` }, text);
  replace(
    main,
    h('h1', null, 'Site ', visible(site)),
    h('p', { class: 'muted' }, 'Tenant ', visible(tenant), ` · ${count(history.bundles.length)} bundles`),
    section(
      'Bundles',
      'site-bundles',
      table(
        ['Made', 'Status', 'shiplog', 'Docker', 'Containers', 'Findings', 'Lines'],
        history.bundles.map((bundle) => [
          link(bundle.id, time(bundle.created_at ?? bundle.received_at)),
          badge(bundle.status, bundle.status),
          visible(bundle.shiplog_version ?? '-'),
          visible(bundle.docker_version ?? '-'),
          count(bundle.containers.length),
          count(bundle.findings),
          bundle.lines === undefined ? '-' : count(bundle.lines),
        ]),
      ),
    ),
    section(
      'What changed',
      'site-changes',
      history.changes.length === 0
        ? h('p', null, 'One bundle so far: changes show from the second on.')
        : h(
            'ol',
            { class: 'changes' },
            [...history.bundles]
              .reverse()
              .filter((bundle) => changeOf.has(bundle.id))
              .map((bundle) => {
                const change = changeOf.get(bundle.id) as Change;
                const items: Child[] = [
                  ...change.versions.map((v) => h('li', null, `${v.what}: ${v.before ?? '-'} → ${v.after ?? '-'}`)),
                  ...change.containers.map((c) => h('li', null, containerChange(c))),
                  ...change.findings_new.map((f) =>
                    h('li', null, badge('new', 'new'), ' ', badge(f.severity, f.severity), ' ', visible(f.title)),
                  ),
                  ...change.findings_resolved.map((f) =>
                    h('li', null, badge('resolved', 'resolved'), ' ', visible(f.title)),
                  ),
                ];
                return h(
                  'li',
                  null,
                  h(
                    'h3',
                    null,
                    link(change.bundle, time(bundle.created_at)),
                    ' since ',
                    link(change.from, 'the bundle before'),
                  ),
                  items.length === 0 ? h('p', { class: 'muted' }, 'Nothing changed.') : h('ul', null, items),
                );
              }),
          ),
    ),
  );
}

function containerChange(c: Change['containers'][number]): Child {
  const name = h('strong', null, visible(c.name));
  switch (c.change) {
    case 'added':
      return [name, ' added (', visible(String(c.after ?? '')), ')'];
    case 'gone':
      return [name, ' gone (was ', visible(String(c.before ?? '')), ')'];
    case 'image':
      return [name, ' image ', visible(String(c.before ?? '-')), ' → ', visible(String(c.after ?? '-'))];
    case 'restarts':
      return [name, ` restarted more: ${c.before} → ${c.after}`];
    default:
      return [name, ' state ', visible(String(c.before ?? '-')), ' → ', visible(String(c.after ?? '-'))];
  }
}
