// Text that a bundle controls (entry names, manifest fields) reaches
// terminals, logs and web pages. printable() makes it inert for a terminal:
// control characters (C0, DEL, C1: escape sequences, CR, newlines), bidi
// overrides and line separators become visible \x.. or \u.... escapes, and
// very long values are cut, so a bundle can neither clear a screen, forge an
// "OK" line nor reorder what the reader sees.

const maxChars = 256;

// C0, DEL, C1, the Arabic letter mark, zero-width and direction marks, bidi embeddings/overrides/isolates,
// line and paragraph separators, BOM.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above, and the backslash that starts an escape
const unsafeOrBackslash = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\]/gu;

/** One value the bundle controls, escaped (a backslash too, so every escape reads one way) and cut to `limit`. */
export function printable(text: string, limit = maxChars): string {
  return cut(text.replace(unsafeOrBackslash, escapeChar), limit);
}

/**
 * A message built from printable() pieces (an error's text), made safe once
 * more as a last line of defence: what a terminal acts on is escaped, but
 * backslashes are left alone so the pieces are not escaped twice.
 */
export function terminalSafe(text: string, limit = maxChars): string {
  return cut(text.replace(unsafe, escapeChar), limit);
}

function escapeChar(char: string): string {
  if (char === '\\') return '\\\\';
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

function cut(escaped: string, limit: number): string {
  if (escaped.length <= limit) return escaped;
  return `${escaped.slice(0, limit)}... (${escaped.length - limit} more characters)`;
}

/**
 * JSON.stringify with every character a terminal could act on written as a
 * \u escape (JSON.stringify leaves DEL, C1 controls and bidi marks raw): the
 * value parses back the same, and printing the text is harmless.
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
