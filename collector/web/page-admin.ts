// Administration: tenants and how long each keeps its bundles, tokens (a new
// secret is shown once, here, and never again), the sites' pinned signing
// keys (accepting a changed one ingests the bundle it held back), and the
// audit log. The server decides what this session may do; the page only
// leaves out what it would refuse.
import { get, send } from './api.js';
import type { PageContext } from './app.js';
import { type Child, h, replace, visible } from './dom.js';
import { time } from './format.js';
import type { Tenants, Token } from './types.js';
import { badge, errorBox, section, table } from './widgets.js';

interface SiteKey {
  readonly tenant: string;
  readonly site: string;
  readonly fingerprint: string;
  readonly pinned_at: string;
  readonly pending_fingerprint: string | null;
  readonly pending_bundle: string | null;
}

interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly tenant: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly detail?: unknown;
}

const tabs: readonly [string, string][] = [
  ['', 'Tenants'],
  ['tokens', 'Tokens'],
  ['keys', 'Site keys'],
  ['audit', 'Audit log'],
];

export async function adminPage(context: PageContext, tab = ''): Promise<void> {
  const { main, me } = context;
  if (me.administers.length === 0 && !me.global_admin) {
    replace(main, h('h1', null, 'Admin'), errorBox(new Error('This token may not administer any tenant.')));
    return;
  }
  const body = h('div');
  replace(
    main,
    h('h1', null, 'Admin'),
    h(
      'nav',
      { class: 'tabs', aria: { label: 'admin sections' } },
      h(
        'ul',
        null,
        tabs.map(([path, label]) =>
          h(
            'li',
            null,
            h(
              'a',
              { href: `/admin${path ? `/${path}` : ''}`, ...(path === tab && { aria: { current: 'page' } }) },
              label,
            ),
          ),
        ),
      ),
    ),
    body,
  );
  const again = () => adminPage(context, tab);
  if (tab === 'tokens') await tokens(context, body, again);
  else if (tab === 'keys') await keys(context, body, again);
  else if (tab === 'audit') await audit(context, body);
  else await tenants(context, body, again);
}

async function tenants({ me, gone }: PageContext, body: HTMLElement, again: () => Promise<void>): Promise<void> {
  const answer = await get<Tenants>('/tenants');
  if (gone()) return;
  const problem = h('div', { aria: { live: 'polite' } });
  const act = (work: () => Promise<unknown>) => async (event: Event) => {
    event.preventDefault();
    try {
      await work();
      await again();
    } catch (error) {
      replace(problem, errorBox(error));
    }
  };
  const name = h('input', { id: 'new-tenant', name: 'name', required: true, placeholder: 'acme-bank' });
  replace(
    body,
    problem,
    section(
      'Tenants',
      'tenants',
      h('p', null, `Bundles are kept ${answer.default_retention} unless a tenant says otherwise.`),
      table(
        ['Tenant', 'Created', 'Keeps bundles', ''],
        answer.tenants.map((tenant) => {
          const days = h('input', {
            type: 'number',
            min: '1',
            max: '36500',
            name: 'days',
            value: tenant.retention_days === null ? '' : String(tenant.retention_days),
            placeholder: 'default',
            aria: { label: `days ${tenant.name} keeps bundles` },
          });
          return [
            visible(tenant.name),
            time(tenant.created_at),
            tenant.retention_days === null ? `default (${answer.default_retention})` : `${tenant.retention_days} days`,
            h(
              'form',
              {
                class: 'inline',
                on: {
                  submit: act(() =>
                    send('PUT', `/tenants/${encodeURIComponent(tenant.name)}/retention`, {
                      days: days.value === '' ? null : Number(days.value),
                    }),
                  ),
                },
              },
              days,
              h('button', { type: 'submit' }, 'Set retention'),
            ),
          ];
        }),
      ),
    ),
    me.global_admin &&
      section(
        'New tenant',
        'new-tenant-section',
        h(
          'form',
          { on: { submit: act(() => send('POST', '/tenants', { name: name.value })) } },
          h('label', { for: 'new-tenant' }, 'Name'),
          name,
          h('button', { type: 'submit' }, 'Create tenant'),
        ),
      ),
  );
}

async function tokens({ me, gone }: PageContext, body: HTMLElement, again: () => Promise<void>): Promise<void> {
  const { tokens: list } = await get<{ tokens: Token[] }>('/tokens');
  if (gone()) return;
  const problem = h('div', { aria: { live: 'polite' } });
  const shown = h('div', { aria: { live: 'polite' } });
  const role = h(
    'select',
    { id: 'token-role', name: 'role' },
    ['upload', 'read', 'admin', ...(me.global_admin ? ['staff'] : [])].map((value) => h('option', { value }, value)),
  );
  const tenant = me.global_admin
    ? h('input', { id: 'token-tenant', name: 'tenant', placeholder: 'tenant, "*" for every tenant, or a,b for staff' })
    : h(
        'select',
        { id: 'token-tenant', name: 'tenant' },
        me.administers.map((name) => h('option', { value: name }, name)),
      );
  const label = h('input', { id: 'token-label', name: 'label', placeholder: 'who or what it is for' });
  const expires = h('input', { id: 'token-expires', name: 'expires', type: 'date' });
  const create = async (event: Event) => {
    event.preventDefault();
    replace(problem);
    try {
      const names = tenant.value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      const made = await send<{ secret: string; token: Token }>('POST', '/tokens', {
        role: role.value,
        ...(role.value === 'staff' ? { tenants: names } : { tenant: tenant.value.trim() }),
        ...(label.value && { label: label.value }),
        ...(expires.value && { expires_at: new Date(`${expires.value}T00:00:00Z`).toISOString() }),
      });
      await again();
      body.prepend(secretBox(made.secret, made.token));
    } catch (error) {
      replace(problem, errorBox(error));
    }
  };
  replace(
    body,
    problem,
    shown,
    section(
      'New token',
      'new-token',
      h(
        'form',
        { class: 'grid-form', on: { submit: create } },
        h('label', { for: 'token-role' }, 'Role'),
        role,
        h('label', { for: 'token-tenant' }, 'Tenant'),
        tenant,
        h('label', { for: 'token-label' }, 'Label'),
        label,
        h('label', { for: 'token-expires' }, 'Expires (optional)'),
        expires,
        h('button', { type: 'submit' }, 'Create token'),
      ),
    ),
    section(
      'Tokens',
      'tokens',
      table(
        ['Id', 'Role', 'Tenant', 'Label', 'Created', 'Last used', 'Expires', 'State', ''],
        list.map((token) => [
          h('code', null, token.id),
          token.role,
          visible(token.role === 'staff' ? token.tenants.join(', ') : (token.tenant ?? '')),
          visible(token.label ?? ''),
          time(token.created_at),
          time(token.last_used_at),
          time(token.expires_at),
          badge(token.state, token.state === 'active' ? 'green' : 'muted'),
          token.state === 'active'
            ? h(
                'button',
                {
                  type: 'button',
                  on: {
                    click: async () => {
                      if (!confirm(`Revoke ${token.id}? Whoever holds it loses access at once.`)) return;
                      try {
                        await send('DELETE', `/tokens/${encodeURIComponent(token.id)}`);
                        await again();
                      } catch (error) {
                        replace(problem, errorBox(error));
                      }
                    },
                  },
                },
                'Revoke',
              )
            : '',
        ]),
      ),
    ),
  );
}

function secretBox(secret: string, token: Token): HTMLElement {
  const field = h('input', { id: 'new-secret', value: secret, aria: { label: 'the new token' } });
  field.readOnly = true;
  return h(
    'div',
    { class: 'secret', role: 'status' },
    h('h2', null, `Token ${token.id} (${token.role})`),
    h('p', null, h('strong', null, 'Copy it now: it is shown only this once.')),
    field,
    h(
      'button',
      {
        type: 'button',
        on: {
          click: async () => {
            field.select();
            await navigator.clipboard?.writeText(secret).catch(() => {});
          },
        },
      },
      'Copy',
    ),
  );
}

async function keys({ gone }: PageContext, body: HTMLElement, again: () => Promise<void>): Promise<void> {
  const { keys: list } = await get<{ keys: SiteKey[] }>('/site-keys');
  if (gone()) return;
  const problem = h('div', { aria: { live: 'polite' } });
  replace(
    body,
    problem,
    section(
      'Pinned site keys',
      'site-keys',
      h(
        'p',
        null,
        'Each site’s first bundle pins its signing key. A bundle signed by another key waits, quarantined, until an admin accepts the new key here (after checking with the site that it was re-keyed on purpose).',
      ),
      list.length === 0
        ? h('p', null, 'No site has sent a bundle yet.')
        : table(
            ['Site', 'Tenant', 'Pinned key', 'Pinned', 'Waiting key', ''],
            list.map((key): Child[] => {
              const pending = key.pending_fingerprint;
              return [
                visible(key.site),
                visible(key.tenant),
                h('code', null, key.fingerprint),
                time(key.pinned_at),
                pending ? h('code', { class: 'bad' }, pending) : '-',
                pending
                  ? h(
                      'button',
                      {
                        type: 'button',
                        on: {
                          click: async () => {
                            if (!confirm(`Accept ${pending} as the key of ${key.site}?`)) return;
                            try {
                              await send('POST', '/site-keys/accept', { tenant: key.tenant, site: key.site });
                              await again();
                            } catch (error) {
                              replace(problem, errorBox(error));
                            }
                          },
                        },
                      },
                      'Accept the new key',
                    )
                  : '',
              ];
            }),
          ),
    ),
  );
}

async function audit({ gone, url, go }: PageContext, body: HTMLElement): Promise<void> {
  const action = url.searchParams.get('action') ?? '';
  const list = h('tbody');
  const filter = h('input', { id: 'audit-action', name: 'action', value: action, placeholder: 'e.g. download' });
  const more = h('div', { class: 'more-box' });
  const load = async (cursor?: string) => {
    const page = await get<{ entries: AuditEntry[]; next?: string }>('/audit', { action, cursor, limit: 100 });
    if (gone()) return;
    for (const entry of page.entries) {
      list.append(
        h(
          'tr',
          null,
          h('td', null, time(entry.at)),
          h('td', null, visible(entry.actor)),
          h('td', null, visible(entry.tenant ?? '-')),
          h('td', null, entry.action),
          h('td', null, visible(entry.target ?? '')),
          h(
            'td',
            null,
            entry.detail === undefined ? '' : h('code', null, visible(JSON.stringify(entry.detail).slice(0, 500))),
          ),
        ),
      );
    }
    replace(
      more,
      page.next && h('button', { type: 'button', on: { click: () => void load(page.next) } }, 'Older entries'),
    );
  };
  replace(
    body,
    section(
      'Audit log',
      'audit',
      h(
        'form',
        {
          class: 'inline',
          on: {
            submit: (event) => {
              event.preventDefault();
              go(filter.value ? `/admin/audit?${new URLSearchParams({ action: filter.value })}` : '/admin/audit');
            },
          },
        },
        h('label', { for: 'audit-action' }, 'Action'),
        filter,
        h('button', { type: 'submit' }, 'Filter'),
      ),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          null,
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['At', 'Who', 'Tenant', 'Action', 'Target', 'Detail'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          list,
        ),
      ),
      more,
    ),
  );
  await load();
}
