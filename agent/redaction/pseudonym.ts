// Stable, keyed, shape-preserving pseudonyms. HMAC-SHA256 with the site key:
// the same value gives the same token in every run and bundle of this site,
// another site key gives other tokens, and nobody without the key can go back.
//
// Shapes keep what support needs to read a log:
// - IPv4 -> 198.18.0.0/15 (RFC 2544, reserved): the /24 is mapped by HMAC, the
//   last octet by a keyed permutation of 1..254 within that /24, so two hosts
//   in one /24 stay two distinct hosts in one /24 (.0 and .255 stay as they are).
// - IPv6 -> 2001:db8::/32 (RFC 3849): the /64 is mapped by HMAC, then the
//   interface id, so addresses of one /64 stay in one /64. An IPv4 address
//   carried in IPv6 (::ffff:a.b.c.d, 64:ff9b::a.b.c.d) keeps that head and
//   gets its IPv4 pseudonym, so the /24 is kept as for plain IPv4.
// - e-mail -> user-<token>@domain-<token>.example (RFC 2606).
// - hostname -> the same number of labels, each a token of its suffix, the
//   last one `example`, so hosts of one domain keep a common suffix.
import { createHmac, createSecretKey } from 'node:crypto';
import { isIPv6 } from 'node:net';

const base32 = 'abcdefghijklmnopqrstuvwxyz234567';
const cacheLimit = 50_000;

export interface Pseudonymizer {
  token(context: string, value: string): string;
  ipv4(value: string): string;
  ipv6(value: string): string;
  email(value: string): string;
  hostname(value: string): string;
  /** [PSEUDONYM:<rule>:<token>] for values without a useful shape. */
  generic(rule: string, value: string): string;
}

/** Values are JavaScript text, hashed as UTF-8 (the engine decodes byte strings first). */
export function createPseudonymizer(key: Uint8Array): Pseudonymizer {
  const cache = new Map<string, string>();
  const subnets = new Map<string, { net: string; hosts: Uint8Array }>();

  // One KeyObject: handing raw bytes to createHmac makes a new one per call (measured: half the cost).
  const secret = createSecretKey(key);
  const hmac = (context: string, value: string): Buffer =>
    createHmac('sha256', secret).update(`${context}\u0000${value}`, 'utf8').digest();

  const cached = (kind: string, value: string, make: () => string): string => {
    const cacheKey = `${kind}\u0000${value}`;
    const hit = cache.get(cacheKey);
    if (hit !== undefined) return hit;
    if (cache.size >= cacheLimit) cache.clear();
    const made = make();
    cache.set(cacheKey, made);
    return made;
  };

  const token = (context: string, value: string): string => {
    const digest = hmac(context, value);
    // 8 base32 characters = 40 bits.
    let bits = 0;
    let acc = 0;
    let out = '';
    for (let i = 0; out.length < 8; i++) {
      acc = (acc << 8) | (digest[i] ?? 0);
      bits += 8;
      while (bits >= 5 && out.length < 8) {
        bits -= 5;
        out += base32[(acc >> bits) & 31];
      }
      acc &= (1 << bits) - 1;
    }
    return out;
  };

  /** Per /24: its place in 198.18.0.0/15 and a keyed permutation of its host numbers. */
  const subnet = (prefix: string): { net: string; hosts: Uint8Array } => {
    const known = subnets.get(prefix);
    if (known) return known;
    const digest = hmac('ipv4-net', prefix);
    const nine = (((digest[0] ?? 0) << 8) | (digest[1] ?? 0)) & 0x1ff;
    // Fisher-Yates over 1..254 driven by an HMAC stream; .0 and .255 stay.
    const values = Array.from({ length: 254 }, (_, i) => i + 1);
    let stream: Buffer = Buffer.alloc(0);
    let counter = 0;
    const nextByte = (): number => {
      if (stream.length === 0) stream = hmac('ipv4-host', `${prefix}#${counter++}`);
      const byte = stream[0] ?? 0;
      stream = stream.subarray(1);
      return byte;
    };
    for (let i = values.length - 1; i > 0; i--) {
      const j = ((nextByte() << 8) | nextByte()) % (i + 1);
      const tmp = values[i] as number;
      values[i] = values[j] as number;
      values[j] = tmp;
    }
    const hosts = new Uint8Array(256);
    hosts[255] = 255;
    for (let i = 0; i < 254; i++) hosts[i + 1] = values[i] as number;
    const made = { net: `198.${18 + (nine >> 8)}.${nine & 0xff}.`, hosts };
    if (subnets.size >= cacheLimit) subnets.clear();
    subnets.set(prefix, made);
    return made;
  };

  const ipv4 = (value: string): string => {
    const dot = value.lastIndexOf('.');
    const { net, hosts } = subnet(value.slice(0, dot));
    return net + String(hosts[Number(value.slice(dot + 1)) & 255] ?? 0);
  };

  const ipv6 = (value: string): string =>
    cached('ipv6', value, () => {
      // An IPv4 address carried in IPv6 (mapped, NAT64) keeps its form and gets the IPv4 pseudonym, so
      // it still reads as that client and stays in the /24 of its plain IPv4 spelling.
      const carried = carriedIpv4.exec(value);
      if (carried) return `${carried[1]}${ipv4(carried[2] as string)}`;
      const groups = expandIpv6(value);
      if (!groups) return generic('ipv6', value);
      const net = hmac('ipv6-net', groups.slice(0, 4).join(':'));
      const iid = hmac('ipv6-iid', groups.join(':'));
      const words = [0x2001, 0x0db8, net.readUInt16BE(0), net.readUInt16BE(2)];
      for (let i = 0; i < 4; i++) words.push(iid.readUInt16BE(i * 2));
      return compressIpv6(words);
    });

  const email = (value: string): string =>
    cached('email', value, () => {
      // A URL-encoded address (name%40host) hashes as its decoded form and keeps its %40.
      const encoded = !value.includes('@') && /%40/i.test(value);
      const lower = asciiLower(encoded ? value.replace(/%40(?!.*%40)/i, '@') : value);
      const at = lower.lastIndexOf('@');
      const domain = lower.slice(at + 1);
      return `user-${token('email-user', lower)}${encoded ? '%40' : '@'}domain-${token('email-domain', domain)}.example`;
    });

  const hostname = (value: string): string =>
    cached('hostname', value, () => {
      const labels = asciiLower(value).replace(/\.$/, '').split('.');
      if (labels.length === 1) return `host-${token('hostname', labels[0] ?? '')}`;
      const out: string[] = [];
      for (let i = 0; i < labels.length - 1; i++) out.push(token('hostname', labels.slice(i).join('.')));
      out.push('example');
      return out.join('.');
    });

  const generic = (rule: string, value: string): string =>
    cached(`generic:${rule}`, value, () => `[PSEUDONYM:${rule}:${token(`value:${rule}`, value)}]`);

  return { token, ipv4, ipv6, email, hostname, generic };
}

/** The head and the dotted IPv4 tail of an IPv4-mapped, IPv4-compatible or NAT64 address. */
const carriedIpv4 = /^((?:::(?:ffff:(?:0{1,4}:)?)?|0{1,4}(?::0{1,4}){4}:ffff:|64:ff9b::))(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** ASCII-only lower case: leaves bytes >= 0x80 untouched (byte strings stay byte-exact). */
function asciiLower(value: string): string {
  return value.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

/** Eight four-digit hex groups, or undefined if it is not an IPv6 address. */
export function expandIpv6(value: string): string[] | undefined {
  if (!isIPv6(value)) return undefined;
  let text = value.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(missing).fill('0'), ...tailGroups];
  return groups.map((group) => group.padStart(4, '0'));
}

/** RFC 5952 text form: lower case, no leading zeros, the longest zero run as ::. */
export function compressIpv6(words: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < words.length; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < words.length && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
