// Search across every bundle this session may read: the query language of
// docs/collector.md, facets with counts, a time histogram to zoom with, and
// hits whose surrounding lines open beside the list. The whole state is in
// the address, so a search is a link to share. Results are drawn first; the
// histogram and facets are asked for then, and fill in when they arrive.
import { get, withQuery } from './api.js';
import type { PageContext } from './app.js';
import { h, replace, visible } from './dom.js';
import { count, time } from './format.js';
import { type HistogramAnswer, histogram } from './histogram.js';
import type { Hit, SearchAnswer } from './types.js';
import { errorBox, highlighted, section } from './widgets.js';

export const filterFields = ['site', 'bundle', 'container', 'service', 'stream', 'level', 'source'] as const;
const stateKeys = ['q', ...filterFields, 'from', 'to', 'order', 'tenant'] as const;

type Facets = Record<string, { value: string; count: number }[]>;

export async function searchPage({ main, url, go, gone }: PageContext): Promise<void> {
  const state: Record<string, string> = {};
  for (const key of stateKeys) {
    const value = url.searchParams.get(key);
    if (value) state[key] = value;
  }
  const order = state.order === 'asc' ? 'asc' : 'desc';
  const address = (changes: Record<string, string | undefined>) => {
    const next = { ...state, ...changes };
    return withQuery('/search', next);
  };

  const input = h('input', {
    id: 'q',
    name: 'q',
    type: 'search',
    value: state.q ?? '',
    placeholder: '"connection refused" level:error container:api',
    autocomplete: 'off',
  });
  const form = h(
    'form',
    {
      role: 'search',
      class: 'search-form',
      on: {
        submit: (event) => {
          event.preventDefault();
          go(address({ q: input.value }));
        },
      },
    },
    h('label', { for: 'q' }, 'Query'),
    input,
    h('button', { type: 'submit' }, 'Search'),
  );
  const chips = h(
    'ul',
    { class: 'chips', aria: { label: 'active filters' } },
    [...filterFields, 'from', 'to'].flatMap((field) =>
      state[field]
        ? [
            h(
              'li',
              null,
              h(
                'a',
                { href: address({ [field]: undefined }), title: `remove the ${field} filter` },
                `${field}: `,
                visible(state[field] as string),
                ' ✕',
              ),
            ),
          ]
        : [],
    ),
  );
  const facetsBox = h(
    'aside',
    { class: 'facets', aria: { label: 'filters' } },
    h('p', { class: 'muted' }, 'Counting…'),
  );
  const histogramBox = h('div', { class: 'histogram-holder' });
  const summary = h('p', { class: 'summary', aria: { live: 'polite' } }, 'Searching…');
  const list = h('ol', { class: 'hits', aria: { label: 'results' } });
  const more = h('div', { class: 'more-box' });
  const context = h('aside', { class: 'context', aria: { label: 'lines around the hit' }, hidden: true });
  replace(
    main,
    h('h1', null, 'Search'),
    form,
    chips,
    h(
      'div',
      { class: 'search-layout' },
      facetsBox,
      h(
        'div',
        { class: 'results' },
        histogramBox,
        h(
          'div',
          { class: 'result-bar' },
          summary,
          h(
            'a',
            { href: address({ order: order === 'desc' ? 'asc' : undefined }) },
            order === 'desc' ? 'Oldest first' : 'Newest first',
          ),
        ),
        list,
        more,
      ),
      context,
    ),
  );

  const query = { ...state, order, limit: 100 };
  const page = async (cursor?: string) => {
    const answer = await get<SearchAnswer>('/search', { ...query, cursor });
    if (gone()) return;
    if (cursor === undefined) {
      replace(summary, answer.total === 0 ? 'No line matches.' : `${count(answer.total)} matching lines`);
    }
    for (const hit of answer.hits) list.append(hitItem(hit));
    replace(
      more,
      answer.next &&
        h('button', { type: 'button', on: { click: () => void page(answer.next).catch(show) } }, 'More results'),
    );
  };
  const show = (error: unknown) => {
    if (!gone()) replace(summary, errorBox(error));
  };

  const hitItem = (hit: Hit) =>
    h(
      'li',
      { class: 'hit', data: { id: hit.id } },
      h(
        'div',
        { class: 'hit-meta' },
        h('time', null, time(hit['@timestamp'])),
        ' ',
        sourceLabel(hit),
        ' ',
        h(
          'a',
          { href: `/bundles/${encodeURIComponent(hit.bundle)}`, class: 'muted' },
          visible(String(hit['host.name'] ?? hit.bundle)),
        ),
      ),
      h('pre', { class: 'line', dir: 'ltr' }, highlighted(hit.message, hit.highlight)),
      h(
        'button',
        { type: 'button', class: 'link', on: { click: () => void openContext(hit) } },
        'Show the lines around it',
      ),
    );

  const openContext = async (hit: Hit) => {
    context.hidden = false;
    replace(context, h('p', null, 'Loading…'));
    try {
      const { hits } = await get<{ hits: Hit[] }>(`/events/${encodeURIComponent(hit.id)}/context`, {
        before: 15,
        after: 15,
      });
      const close = h(
        'button',
        {
          type: 'button',
          on: {
            click: () => {
              context.hidden = true;
              list.querySelector<HTMLElement>(`li[data-id="${CSS.escape(hit.id)}"] button`)?.focus();
            },
          },
        },
        'Close',
      );
      replace(
        context,
        h('div', { class: 'context-head' }, h('h2', null, 'Around the hit'), close),
        h('p', { class: 'muted' }, visible(String(hit['shiplog.file'] ?? ''))),
        h(
          'ol',
          { class: 'context-lines' },
          hits.map((line) =>
            h(
              'li',
              { class: line.id === hit.id ? 'the-hit' : '' },
              h('span', { class: 'ln' }, String(line['shiplog.line'] ?? '')),
              h('pre', { class: 'line', dir: 'ltr' }, highlighted(line.message, [])),
            ),
          ),
        ),
      );
      close.focus();
    } catch (error) {
      replace(context, errorBox(error));
    }
  };

  const results = page().catch(show);
  // The histogram and facets are asked for once the hits are drawn: the server answers one request at a time,
  // and counting every match by time and field must not keep the first results waiting.
  await results;
  if (gone()) return;
  const graph = get<HistogramAnswer>('/search/histogram', { ...state, buckets: 60 })
    .then((answer) => {
      if (gone()) return;
      replace(
        histogramBox,
        answer.buckets.length > 0 && histogram(answer, (from, to) => go(address({ from, to }))),
        (state.from || state.to) && h('a', { href: address({ from: undefined, to: undefined }) }, 'Whole time range'),
      );
    })
    .catch((error) => !gone() && replace(histogramBox, errorBox(error)));
  const facets = get<Facets>('/search/facets', { ...state, size: 8 })
    .then((answer) => {
      if (gone()) return;
      replace(
        facetsBox,
        filterFields.map((field) => {
          const values = answer[field] ?? [];
          if (values.length === 0) return null;
          return section(
            field,
            `facet-${field}`,
            h(
              'ul',
              null,
              values.map((entry) =>
                h(
                  'li',
                  null,
                  h(
                    'a',
                    {
                      href: address({ [field]: state[field] === entry.value ? undefined : entry.value }),
                      ...(state[field] === entry.value && { aria: { current: 'true' } }),
                    },
                    visible(entry.value || '(none)'),
                  ),
                  ' ',
                  h('span', { class: 'count' }, count(entry.count)),
                ),
              ),
            ),
          );
        }),
      );
    })
    .catch((error) => !gone() && replace(facetsBox, errorBox(error)));
  await Promise.all([graph, facets]);
}

/** Where a line came from, coloured by source: a container's name, syslog, the host or the agent. */
export function sourceLabel(hit: Hit): HTMLElement {
  const source = String(hit['shiplog.source'] ?? '');
  const container = hit['container.name'];
  const label = typeof container === 'string' && container !== '' ? container : source || 'line';
  return h('span', { class: `source source-${source.replace(/[^a-z]/g, '')}` }, visible(label));
}
