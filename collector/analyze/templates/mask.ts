// Splits a log line into tokens and masks the values that vary from one line
// of a kind to the next, so that the template miner compares what stays:
// `<NUM>` numbers and sizes, `<DUR>` durations, `<HEX>` hex ids and digests,
// `<UUID>`, `<IP>` (v4 with port or prefix, v6), `<TIME>` dates and times.
// A token with a digit nowhere in it is kept as it is, which is the common
// case and costs one scan of its characters. A token that is not one value
// whole (`pid=42`, `/api/v1/users/42`, `db-1:5432`) is masked piece by piece
// between its separators, and the digits left in a piece become `<NUM>`.
// Brackets, quotes and trailing punctuation around a value stay outside it.

export const masks = ['<NUM>', '<DUR>', '<HEX>', '<UUID>', '<IP>', '<TIME>'] as const;
/** A position where the lines of one template differ. */
export const WILDCARD = '<*>';

/** Characters of a line the miner looks at; the rest of a longer line is one `<*>`. */
export const maxLineChars = 2048;
/** Tokens the miner compares; a longer line's tail becomes one `<*>`. */
export const maxTokens = 64;

// The kinds of value, each tested only where its first character allows it:
// most tokens are settled by that character or by being digits only.
const ipv4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:[:/]\d{1,5})?$/;
const number = /^[+-]?(?:\d+(?:[.,]\d+)*|\.\d+)(?:e[+-]?\d+)?(?:%|[kmgtp]i?b|b|bytes?)?$/i;
const duration =
  /^[+-]?(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)|(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns)){2,})$/i;
const time =
  /^(?:\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?|\d{4}[-/]\d{2}[-/]\d{2}(?:[T_]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?|\d{2}\/[A-Za-z]{3}\/\d{4}(?::\d{2}:\d{2}:\d{2})?)$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const hex = /^(?:0x[0-9a-f]+|[0-9a-f]{8,})$/i;
const digest = /^sha\d+:[0-9a-f]{16,}$/i;
const ipv6 = /^[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:%\w+)?$/i;

/** The masked tokens of a line (split at whitespace), at most maxTokens of them. */
export function tokenize(line: string): string[] {
  const text = line.length > maxLineChars ? line.slice(0, maxLineChars) : line;
  const tokens: string[] = [];
  const length = text.length;
  let start = -1;
  for (let i = 0; i <= length; i++) {
    // Space, tab, CR and the other control characters separate tokens.
    const code = i < length ? text.charCodeAt(i) : 32;
    if (code > 32) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    if (tokens.length === maxTokens - 1) {
      tokens.push(WILDCARD);
      return tokens;
    }
    tokens.push(maskToken(text.slice(start, i)));
    start = -1;
  }
  if (line.length > maxLineChars && tokens[tokens.length - 1] !== WILDCARD) tokens.push(WILDCARD);
  return tokens;
}

/** One token with its variable parts masked; a token without a digit comes back unchanged. */
export function maskToken(token: string): string {
  if (!hasDigit(token)) return token;
  let from = 0;
  let to = token.length;
  while (from < to && isOpening(token.charCodeAt(from))) from++;
  while (to > from && isClosing(token.charCodeAt(to - 1))) to--;
  const core = from === 0 && to === token.length ? token : token.slice(from, to);
  const whole = wholeValue(core);
  const masked = whole ?? piecewise(core);
  return from === 0 && to === token.length ? masked : `${token.slice(0, from)}${masked}${token.slice(to)}`;
}

/** The mask for a token that is one value from end to end, if it is. */
function wholeValue(core: string): string | undefined {
  const first = core.charCodeAt(0);
  if (isDigit(first)) {
    let digitsOnly = true;
    for (let i = 1; i < core.length && digitsOnly; i++) digitsOnly = isDigit(core.charCodeAt(i));
    if (digitsOnly) return '<NUM>';
    if (ipv4.test(core)) return '<IP>';
    if (number.test(core)) return '<NUM>';
    if (duration.test(core)) return '<DUR>';
    if (time.test(core)) return '<TIME>';
  } else if (first === 43 || first === 45 || first === 46) {
    // + - .
    if (number.test(core)) return '<NUM>';
    if (duration.test(core)) return '<DUR>';
    return undefined;
  } else if (first === 115 || first === 83) {
    // s S: sha256:...
    return digest.test(core) ? '<HEX>' : undefined;
  } else if (!isHexLetter(first)) {
    return undefined;
  }
  for (let i = 1; i < core.length; i++) {
    const code = core.charCodeAt(i);
    // Hex digits, "-" (UUID), ":" and "%" (IPv6), "x" (0x): anything else is no id.
    if (!isDigit(code) && !isHexLetter(code) && code !== 45 && code !== 58 && code !== 37 && code !== 120) {
      return undefined;
    }
  }
  if (uuid.test(core)) return '<UUID>';
  if (hex.test(core)) return '<HEX>';
  if (core.includes('::') && ipv6.test(core)) return '<IP>';
  return undefined;
}

/** A token that is no single value, masked piece by piece between its separators. */
function piecewise(core: string): string {
  let separated = false;
  for (let i = 0; i < core.length && !separated; i++) separated = isSeparator(core.charCodeAt(i));
  if (!separated) return digitRuns(core);
  let out = '';
  let start = 0;
  for (let i = 0; i <= core.length; i++) {
    const code = i < core.length ? core.charCodeAt(i) : -1;
    if (code !== -1 && !isSeparator(code)) continue;
    if (i > start) out += maskPiece(core.slice(start, i));
    if (code !== -1) out += core[i];
    start = i + 1;
  }
  return out;
}

/** One piece between separators, its quotes and brackets kept outside the value. */
function maskPiece(piece: string): string {
  if (!hasDigit(piece)) return piece;
  let from = 0;
  let to = piece.length;
  while (from < to && isOpening(piece.charCodeAt(from))) from++;
  while (to > from && isClosing(piece.charCodeAt(to - 1))) to--;
  if (from === 0 && to === piece.length) return wholeValue(piece) ?? digitRuns(piece);
  const core = piece.slice(from, to);
  return `${piece.slice(0, from)}${(core && wholeValue(core)) || digitRuns(core)}${piece.slice(to)}`;
}

/** `v1.2` → `v<NUM>.<NUM>`. */
function digitRuns(piece: string): string {
  let out = '';
  let from = 0;
  let i = 0;
  while (i < piece.length) {
    if (!isDigit(piece.charCodeAt(i))) {
      i++;
      continue;
    }
    out += `${piece.slice(from, i)}<NUM>`;
    while (i < piece.length && isDigit(piece.charCodeAt(i))) i++;
    from = i;
  }
  return out + piece.slice(from);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

// a-f A-F
function isHexLetter(code: number): boolean {
  return (code >= 97 && code <= 102) || (code >= 65 && code <= 70);
}

function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) return true;
  }
  return false;
}

// / = : , @ | & ? # ;
function isSeparator(code: number): boolean {
  return (
    code === 47 ||
    code === 61 ||
    code === 58 ||
    code === 44 ||
    code === 64 ||
    code === 124 ||
    code === 38 ||
    code === 63 ||
    code === 35 ||
    code === 59
  );
}

// ( [ { < " ' `
function isOpening(code: number): boolean {
  return code === 40 || code === 91 || code === 123 || code === 60 || code === 34 || code === 39 || code === 96;
}

// ) ] } > " ' ` , ; : . !
function isClosing(code: number): boolean {
  return (
    code === 41 ||
    code === 93 ||
    code === 125 ||
    code === 62 ||
    code === 34 ||
    code === 39 ||
    code === 96 ||
    code === 44 ||
    code === 59 ||
    code === 58 ||
    code === 46 ||
    code === 33
  );
}

/**
 * True for a token that is only a value (`<NUM>`, `"<IP>",`, `<*>`): the
 * template tree does not branch on it. `pid=<NUM>` is not: `pid=` stays.
 */
export function isVariable(token: string): boolean {
  if (token.indexOf('<') < 0) return false;
  let from = 0;
  let to = token.length;
  while (from < to && isOpening(token.charCodeAt(from)) && token.charCodeAt(from) !== 60) from++;
  while (to > from && isClosing(token.charCodeAt(to - 1)) && token.charCodeAt(to - 1) !== 62) to--;
  const core = token.slice(from, to);
  return core === WILDCARD || (masks as readonly string[]).includes(core);
}
