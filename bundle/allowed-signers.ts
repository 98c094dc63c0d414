// allowed_signers lines as `ssh-keygen -Y verify` reads them: principals and
// namespaces as pattern lists, `valid-after`/`valid-before` in ssh-keygen's
// times, `cert-authority`, quoting and escapes; every key type ssh-keygen
// knows is recognised and only ssh-ed25519 kept. A malformed line throws,
// naming the line. bundle/trust.ts decides what the keys allow.
import { printable } from './printable.ts';
import { fingerprint, keyType, rawFromBlob, signatureNamespace, signerPrincipal } from './ssh-public-key.ts';

/** What one line of a key file says about one Ed25519 key. */
export interface TrustedKey {
  readonly fingerprint: string;
  /** The line's number in its file (1-based); 0 for a bare fingerprint. */
  readonly line: number;
  /** Why the line grants nothing for bundles (principals, namespaces, cert-authority); absent when it does. */
  readonly excluded?: string;
  readonly validAfter?: Date;
  readonly validBefore?: Date;
}

/**
 * The Ed25519 keys of a public key file or an allowed_signers file, each with
 * what its line allows. Other key types are skipped; a malformed line throws,
 * naming the line.
 */
export function parseAllowedSigners(text: string): TrustedKey[] {
  const keys: TrustedKey[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    const key = parseLine(line.replace(/\r$/, ''), index + 1);
    if (key) keys.push(key);
  }
  return keys;
}

/** Every key type ssh-keygen reads; only ssh-ed25519 can sign a bundle. */
const keyTypes = new Set(
  [
    'ssh-ed25519',
    'ssh-rsa',
    'ssh-dss',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'sk-ecdsa-sha2-nistp256@openssh.com',
    'sk-ssh-ed25519@openssh.com',
    'ssh-xmss@openssh.com',
  ].flatMap((type) => [type, type.replace(/(@openssh\.com)?$/, '-cert-v01@openssh.com')]),
);

const firstWord = (text: string) => /^[^ \t]*/.exec(text)?.[0] ?? '';
const skipBlanks = (text: string) => text.replace(/^[ \t]+/, '');

/** One line: `[principals [options]] keytype base64 [comment]`, split where ssh-keygen splits it. */
function parseLine(text: string, line: number): TrustedKey | undefined {
  const where = `line ${line}`;
  let rest = skipBlanks(text);
  if (rest === '' || rest.startsWith('#')) return undefined;
  let principals: string | undefined;
  if (!keyTypes.has(firstWord(rest))) [principals, rest] = splitPrincipals(rest, where);
  let options = '';
  if (!keyTypes.has(firstWord(rest))) {
    const end = optionsEnd(rest, where);
    options = rest.slice(0, end);
    rest = skipBlanks(rest.slice(end));
  }
  const allowed = parseOptions(options, where);
  const type = firstWord(rest);
  if (type === '') throw new Error(`${where} has no key`);
  if (!keyTypes.has(type)) throw new Error(`${where}: "${printable(type, 40)}" is not an OpenSSH key type`);
  const encoded = firstWord(skipBlanks(rest.slice(type.length)));
  if (encoded === '') throw new Error(`${where} has no key after ${type}`);
  if (type !== keyType) return undefined;
  const key: TrustedKey = {
    fingerprint: fingerprint(decodeKey(encoded, where)),
    line,
    ...(allowed.validAfter && { validAfter: allowed.validAfter }),
    ...(allowed.validBefore && { validBefore: allowed.validBefore }),
  };
  const excluded = allowed.certAuthority
    ? 'cert-authority trusts certificates that key signs, not the key itself'
    : principals !== undefined && matchPatternList(signerPrincipal, principals) !== 1
      ? `its principals "${printable(principals, 80)}" do not match ${signerPrincipal}`
      : allowed.namespaces !== undefined && matchPatternList(signatureNamespace, allowed.namespaces) !== 1
        ? `its namespaces "${printable(allowed.namespaces, 80)}" do not match ${signatureNamespace}`
        : undefined;
  return excluded === undefined ? key : { ...key, excluded };
}

/** The principals field (a leading quote keeps blanks inside it) and the text after it. */
function splitPrincipals(text: string, where: string): [string, string] {
  const stop = text.search(/[ \t"]/);
  if (stop < 0) throw new Error(`${where} has no key`);
  if (text[stop] !== '"') return [text.slice(0, stop), skipBlanks(text.slice(stop + 1))];
  const close = text.indexOf('"', stop + 1);
  if (close < 0) throw new Error(`${where} has an unterminated quote in its principals`);
  return [text.slice(0, stop) + text.slice(stop + 1, close), skipBlanks(text.slice(close + 1))];
}

/** Where the options field ends: at the first blank outside double quotes (`\"` is a quote inside them). */
function optionsEnd(text: string, where: string): number {
  let quoted = false;
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    if (char === '\\' && text[at + 1] === '"') at++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && (char === ' ' || char === '\t')) return at;
  }
  if (quoted) throw new Error(`${where} has an unterminated quote in its options`);
  return text.length;
}

interface LineOptions {
  certAuthority: boolean;
  namespaces?: string;
  validAfter?: Date;
  validBefore?: Date;
}

/** Comma-separated options, read as ssh-keygen reads them: names in any case, values always in double quotes. */
function parseOptions(text: string, where: string): LineOptions {
  const bad = (why: string) => new Error(`${where} has an option ssh-keygen refuses: ${why}`);
  const options: LineOptions = { certAuthority: false };
  let at = 0;
  while (at < text.length) {
    const start = at;
    const lower = text.slice(at).toLowerCase();
    const name = (['namespaces', 'valid-after', 'valid-before'] as const).find((n) => lower.startsWith(`${n}=`));
    if (lower.startsWith('cert-authority')) {
      options.certAuthority = true;
      at += 'cert-authority'.length;
    } else if (name) {
      const field = name === 'namespaces' ? 'namespaces' : name === 'valid-after' ? 'validAfter' : 'validBefore';
      if (options[field] !== undefined) throw bad(`${name} is given twice`);
      const [value, next] = dequote(text, at + name.length + 1, () => bad(`the value of ${name} needs double quotes`));
      at = next;
      if (field === 'namespaces') options.namespaces = value;
      else options[field] = parseSshTime(value, () => bad(`"${printable(value, 40)}" is not a time for ${name}`));
    }
    if (at >= text.length) break;
    if (text[at] !== ',') throw bad(`unknown option "${printable(/^[^,]*/.exec(text.slice(start))?.[0] ?? '', 40)}"`);
    at++;
    if (at >= text.length) throw bad('a comma ends them');
  }
  if (options.validAfter && options.validBefore && options.validBefore <= options.validAfter) {
    throw bad('valid-before is not after valid-after');
  }
  return options;
}

/** The double-quoted value at `at` (`\"` stands for a quote) and the index after its closing quote. */
function dequote(text: string, at: number, unquoted: () => Error): [string, number] {
  if (text[at] !== '"') throw unquoted();
  let value = '';
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '"') return [value, i + 1];
    if (text[i] === '\\' && text[i + 1] === '"') i++;
    value += text[i];
  }
  throw unquoted();
}

/**
 * ssh-keygen's match_pattern_list: 1 when a pattern matches, -1 when a
 * negated one (`!pattern`) does, else 0. `*` and `?` are wildcards; case counts.
 */
export function matchPatternList(value: string, list: string): -1 | 0 | 1 {
  let positive = false;
  for (const entry of list.split(',')) {
    const negated = entry.startsWith('!');
    const pattern = negated ? entry.slice(1) : entry;
    if (pattern.length >= 1023) return 0; // ssh-keygen gives up on a pattern this long
    if (!globMatches(value, pattern)) continue;
    if (negated) return -1;
    positive = true;
  }
  return positive ? 1 : 0;
}

/** `*` and `?` wildcards, matched without backtracking blow-up. */
function globMatches(text: string, pattern: string): boolean {
  let t = 0;
  let p = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      t++;
      p++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The raw key of canonical base64 for an ssh-ed25519 blob, as ssh-keygen accepts it. */
function decodeKey(encoded: string, where: string): Buffer {
  const blob = Buffer.from(encoded, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || blob.toString('base64') !== encoded) {
    throw new Error(`${where}: the key is not valid base64`);
  }
  try {
    return rawFromBlob(blob);
  } catch (error) {
    throw new Error(`${where}: ${printable((error as Error).message, 120)}`);
  }
}

/**
 * ssh-keygen's parse_absolute_time: YYYYMMDD, YYYYMMDDHHMM or
 * YYYYMMDDHHMMSS, in UTC with a trailing Z or UTC (any case), else in local
 * standard time (mktime with tm_isdst 0: summer dates are read an hour later
 * than the wall clock says where daylight saving applies). Fields are range
 * checked as strptime does (seconds up to 61), then normalised (31 February
 * is 3 March); a time at or before the epoch is refused.
 */
function parseSshTime(text: string, invalid: () => Error): Date {
  const suffix = /(z|utc)$/i.exec(text)?.[0] ?? '';
  const match = /^(\d{4})(\d\d)(\d\d)(?:(\d\d)(\d\d)(\d\d)?)?$/.exec(text.slice(0, text.length - suffix.length));
  if (!match) throw invalid();
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = match.slice(1).map((field) => Number(field ?? 0));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 61) throw invalid();
  const asUtc = new Date(0);
  asUtc.setUTCFullYear(y, mo - 1, d);
  asUtc.setUTCHours(h, mi, s, 0);
  const time = suffix ? asUtc.getTime() : asUtc.getTime() + standardOffsetMinutes(asUtc.getTime()) * 60_000;
  if (!(time > 0)) throw invalid();
  return new Date(time);
}

/** Minutes to add to local standard time to get UTC (Date's getTimezoneOffset, without daylight saving). */
function standardOffsetMinutes(instant: number): number {
  const halfYear = 182 * 86_400_000;
  const here = new Date(instant).getTimezoneOffset();
  const before = new Date(instant - halfYear).getTimezoneOffset();
  const after = new Date(instant + halfYear).getTimezoneOffset();
  // Daylight saving is in force when the clocks stood equally further back half a year either side.
  return before === after && before > here ? before : here;
}
