// Text that a bundle controls (entry names, manifest fields) reaches
// terminals, logs and web pages. printable() makes it inert for a terminal:
// control characters (C0, DEL, C1: escape sequences, CR, newlines), bidi
// overrides and line separators become visible \x.. or \u.... escapes, and
// very long values are cut, so a bundle can neither clear a screen, forge an
// "OK" line nor reorder what the reader sees.

const maxChars = 256;

// C0, DEL, C1, zero-width and direction marks, bidi embeddings/overrides/isolates, line and paragraph separators, BOM.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const unsafe = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\]/gu;

export function printable(text: string, limit = maxChars): string {
  const escaped = text.replace(unsafe, (char) => {
    if (char === '\\') return '\\\\';
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
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
    /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
