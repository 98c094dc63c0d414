// Checks a matched value must pass before it counts as a finding: they turn a
// regex's shape into a decision (a 16-digit number is a card only when its
// Luhn digit is right, an IBAN only when mod-97 holds).
import { isIPv6 } from 'node:net';
import type { RedactionValidator } from '../../schemas/redaction-rules.ts';

export type ValueCheck = (value: string) => boolean;

/** Payment card: 13-19 digits (spaces and dashes allowed), a known issuer prefix, a correct Luhn digit. */
export function isCardNumber(value: string): boolean {
  const digits = value.replace(/[ -]/g, '');
  if (!/^\d{13,19}$/.test(digits)) return false;
  if (!/^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6)/.test(digits)) return false;
  return luhn(digits);
}

export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// Lengths of IBANs per country (ISO 13616 registry).
const ibanLengths: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** IBAN: a known country, its exact length, and the ISO 7064 mod-97 check. */
export function isIban(value: string): boolean {
  const iban = value.replace(/ /g, '').toUpperCase();
  const length = ibanLengths[iban.slice(0, 2)];
  if (length === undefined || iban.length !== length || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const part = code >= 65 ? code - 55 : code - 48;
    remainder = part >= 10 ? (remainder * 100 + part) % 97 : (remainder * 10 + part) % 97;
  }
  return remainder === 1;
}

/** US social security number: area 001-899 but not 666, group 01-99, serial 0001-9999. */
export function isUsSsn(value: string): boolean {
  const match = /^(\d{3})-(\d{2})-(\d{4})$/.exec(value);
  if (!match) return false;
  const [, area = '', group = '', serial = ''] = match;
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/**
 * A random-looking value: enough entropy, and at least two of lower case,
 * upper case and digits (a long identifier in one case is a name, not a key).
 */
export function looksRandom(value: string, minEntropy: number): boolean {
  const classes = Number(/[a-z]/.test(value)) + Number(/[A-Z]/.test(value)) + Number(/\d/.test(value));
  if (classes < 2 || shannonEntropy(value) < minEntropy) return false;
  // CamelCase or snake_case words are names (UserSessionCacheProvider), not keys.
  return !/^(?:[A-Z]?[a-z]+)(?:[A-Z][a-z]+|[_.-][A-Za-z][a-z]+)+$/.test(value);
}

/** An IPv6 address written the way software prints one (not a C++ scope `a::b`). */
export function isIpv6Address(value: string): boolean {
  if (!isIPv6(value)) return false;
  const groups = value.split(':').filter((group) => group !== '').length;
  return /\d/.test(value) || groups >= 3;
}

/** Base64 whose decoded text is a PEM private key (Kubernetes secrets, env files). */
export function isBase64PrivateKey(value: string): boolean {
  const decoded = Buffer.from(value, 'base64').toString('latin1');
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY/.test(decoded);
}

/**
 * A base64 value that holds a secret, as a Kubernetes Secret's `data:` does:
 * whole base64 (length a multiple of 4), not a plain word, and decoding to
 * printable text (a password, a user name, a PEM block) or, when long, to
 * key material. A YAML value such as `frontend` or `registry/app` decodes
 * to noise and is left alone.
 */
export function isBase64Secret(value: string): boolean {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  const classes = Number(/[a-z]/.test(value)) + Number(/[A-Z]/.test(value)) + Number(/[\d+/=]/.test(value));
  if (classes < 2) return false;
  const decoded = Buffer.from(value, 'base64');
  if (decoded.length === 0) return false;
  let printable = 0;
  for (const byte of decoded)
    if ((byte >= 0x20 && byte < 0x7f) || byte === 9 || byte === 10 || byte === 13) printable++;
  if (printable === decoded.length) return true;
  return value.length >= 40 && classes === 3 && shannonEntropy(value) >= 4;
}

export function makeValidator(name: RedactionValidator, minEntropy = 3.5): ValueCheck {
  switch (name) {
    case 'luhn':
      return isCardNumber;
    case 'iban':
      return isIban;
    case 'us-ssn':
      return isUsSsn;
    case 'entropy':
      return (value) => looksRandom(value, minEntropy);
    case 'ipv6':
      return isIpv6Address;
    case 'pem-base64':
      return isBase64PrivateKey;
    case 'base64-secret':
      return isBase64Secret;
  }
}
