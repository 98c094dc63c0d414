// The portal in the browser: who is signed in, the header, and which page an
// address shows. Internal links change the address without reloading (so a
// search is a URL to share), and the back button works as on any site.
import { ApiError, get, type Me, send, setCsrf, whenSignedOut } from './api.js';
import { h, replace } from './dom.js';
import { adminPage } from './page-admin.js';
import { bundlePage } from './page-bundle.js';
import { filePage } from './page-file.js';
import { homePage } from './page-home.js';
import { searchPage } from './page-search.js';
import { signInPage } from './page-signin.js';
import { sitePage } from './page-site.js';
import { timelinePage } from './page-timeline.js';
import { uploadPage } from './page-upload.js';
import { errorBox } from './widgets.js';

export interface PageContext {
  readonly me: Me;
  readonly main: HTMLElement;
  readonly url: URL;
  /** Goes to an address inside the portal (pushState and render). */
  readonly go: (href: string, options?: { replace?: boolean }) => void;
  /** True once the user has moved on to another page: late answers must not draw. */
  readonly gone: () => boolean;
}

type Page = (context: PageContext, ...params: string[]) => Promise<void> | void;

const routes: readonly [RegExp, Page][] = [
  [/^\/$/, homePage],
  [/^\/search$/, searchPage],
  [/^\/upload$/, uploadPage],
  [/^\/bundles\/([^/]+)$/, bundlePage],
  [/^\/bundles\/([^/]+)\/timeline$/, timelinePage],
  [/^\/bundles\/([^/]+)\/file$/, filePage],
  [/^\/sites\/([^/]+)\/([^/]+)$/, sitePage],
  [/^\/admin(?:\/(tenants|tokens|keys|audit))?$/, adminPage],
];

let me: Me | undefined;
let generation = 0;

async function render(): Promise<void> {
  const main = document.getElementById('main') as HTMLElement;
  const url = new URL(location.href);
  const mine = ++generation;
  if (!me) {
    try {
      me = await get<Me>('/session');
      setCsrf(me.csrf);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
  }
  drawHeader();
  if (!me) {
    if (url.pathname !== '/signin')
      history.replaceState(null, '', `/signin?next=${encodeURIComponent(url.pathname + url.search)}`);
    signInPage(main, (who) => {
      me = who;
      setCsrf(who.csrf);
      const next = new URL(location.href).searchParams.get('next') ?? '/';
      go(next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    });
    return;
  }
  if (url.pathname === '/signin') {
    go('/', { replace: true });
    return;
  }
  const context: PageContext = { me, main, url, go, gone: () => mine !== generation };
  for (const [pattern, page] of routes) {
    const match = pattern.exec(url.pathname);
    if (!match) continue;
    replace(main, h('p', { class: 'loading' }, 'Loading…'));
    try {
      await page(context, ...match.slice(1).map((part) => decodeURIComponent(part ?? '')));
    } catch (error) {
      if (!context.gone()) replace(main, errorBox(error));
    }
    focusMain(main);
    return;
  }
  replace(main, h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/' }, 'Back to the start page')));
}

function focusMain(main: HTMLElement): void {
  // Keyboard users land on the new page's content, not on the link they left.
  if (document.activeElement === document.body || !main.contains(document.activeElement))
    main.focus({ preventScroll: true });
}

function drawHeader(): void {
  const top = document.getElementById('top') as HTMLElement;
  if (!me) {
    replace(top, h('nav', { aria: { label: 'portal' } }, h('span', { class: 'brand' }, 'shiplog collector')));
    return;
  }
  const links: [string, string][] = [];
  if (me.readable.length > 0) links.push(['/', 'Bundles'], ['/search', 'Search']);
  if (me.uploads_to !== null || me.global_admin) links.push(['/upload', 'Upload']);
  if (me.administers.length > 0 || me.global_admin) links.push(['/admin', 'Admin']);
  const here = location.pathname;
  replace(
    top,
    h(
      'nav',
      { aria: { label: 'portal' } },
      h('a', { class: 'brand', href: '/' }, 'shiplog collector'),
      h(
        'ul',
        null,
        links.map(([href, label]) =>
          h('li', null, h('a', { href, ...(isCurrent(here, href) && { aria: { current: 'page' } }) }, label)),
        ),
      ),
      h(
        'span',
        { class: 'who' },
        `${me.global_admin ? 'global admin' : me.role}${me.tenant && me.tenant !== '*' ? ` · ${me.tenant}` : ''}`,
        ' ',
        h('button', { type: 'button', class: 'link', on: { click: signOut } }, 'Sign out'),
      ),
    ),
  );
}

function isCurrent(here: string, href: string): boolean {
  return href === '/'
    ? here === '/' || here.startsWith('/bundles') || here.startsWith('/sites')
    : here.startsWith(href);
}

async function signOut(): Promise<void> {
  await send('DELETE', '/session').catch(() => {});
  me = undefined;
  setCsrf(undefined);
  go('/signin');
}

export function go(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  void render();
}

whenSignedOut(() => {
  if (me) {
    me = undefined;
    go(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  }
});

document.addEventListener('click', (event) => {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  ) {
    return;
  }
  const link = (event.target as Element | null)?.closest?.('a');
  const href = link?.getAttribute('href');
  if (!link || !href?.startsWith('/') || href.startsWith('/api/') || link.hasAttribute('download')) return;
  event.preventDefault();
  go(href);
});

window.addEventListener('popstate', () => void render());
void render();
