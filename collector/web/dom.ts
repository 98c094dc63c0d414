// Building the pages' DOM. Text only ever becomes text nodes: there is no way
// here to turn a string into markup, and the pages never use innerHTML or its
// kin (a unit test greps for them; Trusted Types in the CSP would stop them
// anyway). Links may point only into this portal.

export type Child = Node | string | number | null | undefined | false | readonly Child[];

export interface Props {
  readonly class?: string;
  readonly id?: string;
  readonly href?: string;
  readonly title?: string;
  readonly type?: string;
  readonly name?: string;
  readonly value?: string;
  readonly placeholder?: string;
  readonly for?: string;
  readonly role?: string;
  readonly hidden?: boolean;
  readonly disabled?: boolean;
  readonly checked?: boolean;
  readonly open?: boolean;
  readonly scope?: string;
  readonly download?: string;
  readonly tabindex?: number;
  readonly autocomplete?: string;
  readonly required?: boolean;
  readonly min?: string;
  readonly max?: string;
  readonly dir?: 'ltr' | 'rtl' | 'auto';
  readonly aria?: Readonly<Record<string, string>>;
  readonly data?: Readonly<Record<string, string>>;
  readonly on?: { readonly [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props) applyProps(element, props);
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

/** An address inside this portal ("/search?q=..."), or an error: never another site, never javascript:. */
export function internal(href: string): string {
  if (!href.startsWith('/') || href.startsWith('//') || href.startsWith('/\\')) {
    throw new Error(`not a portal address: ${href}`);
  }
  return href;
}

function applyProps(element: HTMLElement, props: Props): void {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    switch (key) {
      case 'class':
        element.className = value as string;
        break;
      case 'href':
        element.setAttribute('href', internal(value as string));
        break;
      case 'value':
        (element as HTMLInputElement).value = value as string;
        break;
      case 'checked':
        (element as HTMLInputElement).checked = value as boolean;
        break;
      case 'aria':
        for (const [name, text] of Object.entries(value as Record<string, string>)) {
          element.setAttribute(`aria-${name}`, text);
        }
        break;
      case 'data':
        for (const [name, text] of Object.entries(value as Record<string, string>)) element.dataset[name] = text;
        break;
      case 'on':
        for (const [name, listener] of Object.entries(value as Record<string, EventListener>)) {
          element.addEventListener(name, listener);
        }
        break;
      default:
        element.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

// Characters that would act rather than show: C0 and C1 controls but tab,
// the text-direction overrides and isolates, zero-width joiners' kin and the
// BOM. On a page they become visible marks, so an ANSI colour code reads as
// "␛[31m" and a right-to-left override cannot reverse what follows it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const acting = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Text with its acting characters shown as marks (a span each), for log lines, file names and fields. */
export function visible(text: string): Child[] {
  const parts: Child[] = [];
  let last = 0;
  acting.lastIndex = 0;
  for (let match = acting.exec(text); match !== null; match = acting.exec(text)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(h('span', { class: 'ctl', title: codePoint(match[0]) }, mark(match[0])));
    last = match.index + 1;
  }
  if (last < text.length) parts.push(last === 0 ? text : text.slice(last));
  return parts;
}

/** The same, as one plain string (for titles, inputs and places that take no elements). */
export function visibleText(text: string): string {
  return text.replace(acting, mark);
}

function mark(char: string): string {
  const code = char.charCodeAt(0);
  if (code === 0x1b) return '␛';
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  return `<${codePoint(char)}>`;
}

function codePoint(char: string): string {
  return `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}
