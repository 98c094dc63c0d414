// The start page: the newest bundles and every site, for the tenants this
// session may read.
import { get } from './api.js';
import type { PageContext } from './app.js';
import { h, replace, visible } from './dom.js';
import { bytes, count, time } from './format.js';
import type { Bundle, Site } from './types.js';
import { badge, section, table } from './widgets.js';

export async function homePage({ me, main, gone, go }: PageContext): Promise<void> {
  if (me.readable.length === 0) {
    replace(
      main,
      h('h1', null, 'Welcome'),
      h(
        'p',
        null,
        'This token may upload bundles but not read them. ',
        h('a', { href: '/upload' }, 'Upload a bundle'),
        '.',
      ),
    );
    return;
  }
  const [{ bundles }, { sites }] = await Promise.all([
    get<{ bundles: Bundle[] }>('/bundles', { limit: 50 }),
    get<{ sites: Site[] }>('/sites'),
  ]);
  if (gone()) return;
  replace(
    main,
    h('h1', null, 'Bundles'),
    h(
      'form',
      { class: 'quick-search', role: 'search', on: { submit: (event) => quickSearch(event) } },
      h('label', { for: 'quick-q' }, 'Search every bundle'),
      h('input', { id: 'quick-q', name: 'q', type: 'search', placeholder: 'e.g. "connection refused" level:error' }),
      h('button', { type: 'submit' }, 'Search'),
    ),
    section(
      'Newest bundles',
      'newest',
      bundles.length === 0
        ? h('p', null, 'No bundle has arrived yet. ', h('a', { href: '/upload' }, 'Upload one'), '.')
        : table(
            ['Received', 'Site', 'Tenant', 'Status', 'Made', 'Lines', 'Size'],
            bundles.map((bundle) => [
              h('a', { href: `/bundles/${encodeURIComponent(bundle.id)}` }, time(bundle.received_at)),
              bundle.site ? visible(bundle.site) : h('span', { class: 'muted' }, bundle.original_name ?? bundle.id),
              visible(bundle.tenant),
              badge(bundle.status, bundle.status),
              time(bundle.created_at),
              bundle.lines === undefined ? '-' : count(bundle.lines),
              bytes(bundle.size),
            ]),
          ),
    ),
    section(
      'Sites',
      'sites',
      sites.length === 0
        ? h('p', null, 'No site yet.')
        : table(
            ['Site', 'Tenant', 'Bundles', 'Newest made'],
            sites.map((site) => [
              h(
                'a',
                { href: `/sites/${encodeURIComponent(site.tenant)}/${encodeURIComponent(site.site)}` },
                visible(site.site),
              ),
              visible(site.tenant),
              count(site.bundles),
              time(site.last_created_at),
            ]),
          ),
    ),
  );

  function quickSearch(event: SubmitEvent): void {
    event.preventDefault();
    const q = (new FormData(event.target as HTMLFormElement).get('q') as string | null) ?? '';
    go(`/search?${new URLSearchParams({ q })}`);
  }
}
