// The file viewer: a text file of a bundle, a page of lines at a time, with
// line numbers to link to (evidence links land on their line). Every line is
// text: control characters show as marks, very long lines are cut and said
// so, and a binary file is offered only for download (with the bundle).
import { get } from './api.js';
import type { PageContext } from './app.js';
import { h, replace, visible } from './dom.js';
import { bytes } from './format.js';
import type { TextPage } from './types.js';
import { longText } from './widgets.js';

const pageLines = 500;

export async function filePage({ main, url, gone }: PageContext, id: string): Promise<void> {
  const path = url.searchParams.get('path') ?? '';
  const target = Math.max(1, Number(url.searchParams.get('line') ?? 1) || 1);
  // Start a little before the line asked for, so it is seen in its context.
  const first = Math.max(1, target - 20);
  const page = await get<TextPage>(`/bundles/${encodeURIComponent(id)}/file`, { path, line: first, lines: pageLines });
  if (gone()) return;
  const base = `/bundles/${encodeURIComponent(id)}`;
  const list = h('ol', { class: 'file-lines' });
  const more = h('div', { class: 'more-box' });
  const add = (answer: TextPage) => {
    for (const line of answer.lines) {
      list.append(
        h(
          'li',
          { id: `L${line.n}`, class: line.n === target && url.searchParams.has('line') ? 'the-hit' : '' },
          h(
            'a',
            { class: 'ln', href: `${base}/file?${new URLSearchParams({ path, line: String(line.n) })}`, tabindex: -1 },
            String(line.n),
          ),
          h(
            'pre',
            { class: 'line', dir: 'ltr' },
            longText(line.text, 10_000),
            line.cut && h('span', { class: 'cut' }, ' [line cut at 65,536 characters]'),
          ),
        ),
      );
    }
    replace(
      more,
      answer.next !== undefined &&
        h(
          'button',
          {
            type: 'button',
            on: {
              click: async () => {
                const next = await get<TextPage>(`/bundles/${encodeURIComponent(id)}/file`, {
                  path,
                  line: answer.next,
                  lines: pageLines,
                });
                add(next);
              },
            },
          },
          'More lines',
        ),
    );
  };
  replace(
    main,
    h('p', null, h('a', { href: base }, '← the bundle')),
    h('h1', { class: 'path' }, visible(path)),
    h('p', { class: 'muted' }, bytes(page.size), first > 1 ? ` · from line ${first}` : ''),
    page.binary ? h('p', null, 'This file is binary; download the bundle to read it.') : [list, more],
  );
  if (!page.binary) add(page);
  document.getElementById(`L${target}`)?.scrollIntoView({ block: 'center' });
}
