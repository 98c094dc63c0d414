// A bundle's timeline: every line of every container, syslog, the host and
// the agent's own log in one time order, coloured by where it came from.
// The bundle says when it was made by the host's clock, the collector when
// it arrived by its own: a bundle "made" after it arrived shows the host's
// clock running ahead, and the page offers to shift every time by that
// offset (or one typed in) so lines can be set beside other systems' logs.
import { get } from './api.js';
import type { PageContext } from './app.js';
import { h, replace, visible } from './dom.js';
import { count, duration, time } from './format.js';
import { sourceLabel } from './page-search.js';
import type { Bundle, SearchAnswer } from './types.js';
import { errorBox, longText } from './widgets.js';

interface Clock {
  readonly created_at: string | null;
  readonly received_at: string;
  readonly host_ahead_ms?: number;
  readonly received_after_ms?: number;
}

export async function timelinePage({ main, url, gone, go }: PageContext, id: string): Promise<void> {
  const { bundle, clock } = await get<{ bundle: Bundle; clock: Clock }>(`/bundles/${encodeURIComponent(id)}/overview`);
  if (gone()) return;
  const base = `/bundles/${encodeURIComponent(id)}`;
  const measured = clock.host_ahead_ms ?? 0;
  const asked = url.searchParams.get('shift');
  const shiftS = asked === null ? 0 : Number(asked) || 0;
  const source = url.searchParams.get('source') ?? '';
  const shiftInput = h('input', {
    id: 'shift',
    name: 'shift',
    type: 'number',
    value: String(shiftS),
    min: '-86400',
    max: '86400',
  });
  const sourceSelect = h(
    'select',
    { id: 'source', name: 'source' },
    ['', 'container', 'syslog', 'host', 'agent', 'spool'].map((value) =>
      h('option', { value }, value || 'every source'),
    ),
  );
  sourceSelect.value = source;
  const rows = h('ol', { class: 'timeline', aria: { label: 'lines in time order' } });
  const more = h('div', { class: 'more-box' });
  const total = h('p', { class: 'summary', aria: { live: 'polite' } }, 'Loading…');
  replace(
    main,
    h('p', null, h('a', { href: base }, '← the bundle')),
    h('h1', null, 'Timeline of ', visible(bundle.site ?? bundle.id)),
    h(
      'p',
      { class: 'clock' },
      `Made ${time(clock.created_at)} by the host’s clock; received ${time(clock.received_at)} by the collector’s. `,
      measured > 0
        ? h('strong', null, `The host’s clock runs at least ${duration(measured)} ahead.`)
        : `Received ${duration(clock.received_after_ms ?? 0)} after it was made (the upload may have waited, so this shows no offset).`,
    ),
    h(
      'form',
      {
        class: 'timeline-form',
        on: {
          submit: (event) => {
            event.preventDefault();
            const params = new URLSearchParams();
            if (Number(shiftInput.value)) params.set('shift', String(Number(shiftInput.value)));
            if (sourceSelect.value) params.set('source', sourceSelect.value);
            const text = params.toString();
            go(`${base}/timeline${text ? `?${text}` : ''}`);
          },
        },
      },
      h('label', { for: 'shift' }, 'Shift host times by (seconds)'),
      shiftInput,
      measured > 0 &&
        h(
          'button',
          {
            type: 'button',
            on: {
              click: () => {
                shiftInput.value = String(-Math.round(measured / 1000));
              },
            },
          },
          `Use the measured offset (−${Math.round(measured / 1000)} s)`,
        ),
      h('label', { for: 'source' }, 'Source'),
      sourceSelect,
      h('button', { type: 'submit' }, 'Show'),
    ),
    shiftS !== 0 && h('p', { class: 'notice' }, `Times below are shifted by ${shiftS} s from what the host wrote.`),
    total,
    rows,
    more,
  );
  const shiftMs = shiftS * 1000;
  const load = async (cursor?: string) => {
    const answer = await get<SearchAnswer>('/search', {
      q: '',
      bundle: bundle.id,
      tenant: bundle.tenant,
      order: 'asc',
      limit: 500,
      source: source || undefined,
      cursor,
    });
    if (gone()) return;
    if (cursor === undefined) replace(total, `${count(answer.total)} lines`);
    for (const hit of answer.hits) {
      rows.append(
        h(
          'li',
          { class: `tl tl-${String(hit['shiplog.source'] ?? '').replace(/[^a-z]/g, '')}` },
          h('time', null, time(hit['@timestamp'], shiftMs)),
          ' ',
          sourceLabel(hit),
          h('pre', { class: 'line', dir: 'ltr' }, longText(hit.message)),
        ),
      );
    }
    replace(
      more,
      answer.next &&
        h('button', { type: 'button', on: { click: () => void load(answer.next).catch(fail) } }, 'Later lines'),
    );
  };
  const fail = (error: unknown) => !gone() && replace(total, errorBox(error));
  await load().catch(fail);
}
