// Values known to be secret at run time (the agent's own config secrets,
// secret-looking container environment variables, values from the caller):
// each is searched for as it is, URL-encoded, JSON-escaped and base64-encoded.
// Base64 of a value inside a longer base64 string (an Authorization: Basic
// header of "user:password") depends on where the value starts modulo 3, so
// all three alignments are searched, trimmed to the characters that depend on
// the value alone.
//
// Values shorter than minLiteralLength are ignored: words such as "admin" or
// "1234" occur by chance in ordinary text, and masking them everywhere would
// destroy the log without protecting anything (such values are not secrets a
// scanner can defend; the rule packs still catch them after password= etc.).

export const minLiteralLength = 6;
const minFormLength = 6;

/** Every text form of one value to search for; empty for a value too short to search. */
export function literalForms(value: string): string[] {
  if (value.length < minLiteralLength) return [];
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>([value]);
  // The engine also runs over raw bytes read as latin1: add the UTF-8 bytes in that form.
  forms.add(bytes.toString('latin1'));
  forms.add(encodeURIComponent(value));
  forms.add(encodeURIComponent(value).replace(/%20/g, '+'));
  forms.add(JSON.stringify(value).slice(1, -1));
  for (let align = 0; align < 3; align++) {
    const padded = Buffer.concat([Buffer.alloc(align), bytes]);
    const encoded = padded.toString('base64').replace(/=+$/, '');
    // Characters fully inside the value's bits: [ceil(8a/6), floor(8(a+n)/6)).
    const start = Math.ceil((8 * align) / 6);
    const end = Math.floor((8 * (align + bytes.length)) / 6);
    const inner = encoded.slice(start, end);
    forms.add(inner);
    forms.add(inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms].filter((form) => form.length >= minFormLength);
}

/** Forms of many values, longest first (so the longest match wins in an alternation). */
export function literalPatternForms(values: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const value of values) for (const form of literalForms(value)) all.add(form);
  return [...all].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
}
