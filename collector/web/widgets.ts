// Pieces the pages share: tables, badges, error boxes, and text that may be
// long or hostile shown safely.
import { ApiError } from './api.js';
import { type Child, h, visible } from './dom.js';

export function errorBox(error: unknown): HTMLElement {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return h('div', { class: 'error', role: 'alert' }, code && h('code', null, code), ' ', visible(message));
}

export function table(headings: readonly string[], rows: readonly (readonly Child[])[], caption?: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      caption && h('caption', null, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headings.map((heading) => h('th', { scope: 'col' }, heading)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((cells) =>
          h(
            'tr',
            null,
            cells.map((cell) => h('td', null, cell)),
          ),
        ),
      ),
    ),
  );
}

export function badge(text: string, kind: string): HTMLElement {
  return h('span', { class: `badge badge-${kind.replace(/[^a-z0-9-]/gi, '')}` }, visible(text));
}

export function section(title: string, id: string, ...children: Child[]): HTMLElement {
  return h('section', { id, aria: { labelledby: `${id}-title` } }, h('h2', { id: `${id}-title` }, title), children);
}

/** Field text from a bundle: control characters shown as marks, and at most `max` characters until asked. */
export function longText(text: string, max = 2000): Child {
  if (text.length <= max) return visible(text);
  const rest = text.length - max;
  const holder = h('span', null, visible(text.slice(0, max)));
  const more = h(
    'button',
    {
      type: 'button',
      class: 'link more',
      on: {
        click: () => {
          holder.replaceChildren(...toNodes(visible(text.slice(0, max * 50))));
          more.remove();
        },
      },
    },
    `… ${rest.toLocaleString('en-US')} more characters`,
  );
  return [holder, ' ', more];
}

function toNodes(children: Child[]): Node[] {
  const holder = document.createDocumentFragment();
  for (const child of children.flat(Infinity as 1) as (Node | string)[]) {
    holder.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return [holder];
}

/** The message with its matches marked; ranges are [start, end) character offsets. */
export function highlighted(text: string, ranges: readonly (readonly [number, number])[], max = 2000): Child {
  if (ranges.length === 0 || text.length > max) return longText(text, max);
  const parts: Child[] = [];
  let at = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < at || end > text.length || end <= start) continue;
    parts.push(visible(text.slice(at, start)), h('mark', null, visible(text.slice(start, end))));
    at = end;
  }
  parts.push(visible(text.slice(at)));
  return parts;
}

export const severityOrder: Record<string, number> = { critical: 0, warning: 1, info: 2 };

export function definitionList(entries: readonly [string, Child][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    entries
      .filter(([, value]) => value !== undefined && value !== null && value !== '')
      .map(([term, value]) => [h('dt', null, term), h('dd', null, value)]),
  );
}
