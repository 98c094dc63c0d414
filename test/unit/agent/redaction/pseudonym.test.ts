import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compressIpv6, createPseudonymizer, expandIpv6 } from '../../../../agent/redaction/pseudonym.ts';

const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);

describe('pseudonyms', () => {
  it('are stable for one key and differ between site keys', () => {
    const a1 = createPseudonymizer(keyA);
    const a2 = createPseudonymizer(Buffer.from(keyA));
    const b = createPseudonymizer(keyB);
    for (const make of [
      (p: typeof a1) => p.email('ann@bank.co.uk'),
      (p: typeof a1) => p.ipv4('10.1.2.3'),
      (p: typeof a1) => p.generic('iban', 'DE13'),
    ]) {
      expect(make(a1)).toBe(make(a2));
      expect(make(a1)).not.toBe(make(b));
    }
  });

  it('keep an IPv4 a valid IPv4 in 198.18.0.0/15 with its /24 structure', () => {
    const p = createPseudonymizer(keyA);
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 255 }), (address, last) => {
        const sibling = `${address.split('.').slice(0, 3).join('.')}.${last}`;
        const x = p.ipv4(address);
        const y = p.ipv4(sibling);
        expect(isIPv4(x)).toBe(true);
        expect(x).toMatch(/^198\.1[89]\./);
        expect(x.split('.').slice(0, 3)).toEqual(y.split('.').slice(0, 3));
        expect(x === y).toBe(address === sibling);
      }),
    );
  });

  it('give an IPv4 carried in IPv6 its IPv4 pseudonym and keep the IPv6 form around it', () => {
    const p = createPseudonymizer(keyA);
    const plain = p.ipv4('10.1.2.3');
    expect(p.ipv6('::ffff:10.1.2.3')).toBe(`::ffff:${plain}`);
    expect(p.ipv6('::FFFF:10.1.2.3')).toBe(`::FFFF:${plain}`);
    expect(p.ipv6('64:ff9b::10.1.2.3')).toBe(`64:ff9b::${plain}`);
    const sibling = p.ipv6('::ffff:10.1.2.77');
    expect(sibling.split('.').slice(0, 3)).toEqual(`::ffff:${plain}`.split('.').slice(0, 3));
    expect(isIPv6(p.ipv6('::ffff:10.1.2.3'))).toBe(true);
    // Other addresses with a dotted tail go into 2001:db8::/32 like any IPv6 address.
    expect(p.ipv6('2a01:4f8::10.1.2.3')).toMatch(/^2001:db8:/);
  });

  it('keep a URL-encoded e-mail URL-encoded, with the token of its decoded form', () => {
    const p = createPseudonymizer(keyA);
    const decoded = p.email('jane.doe@bank.com');
    expect(p.email('jane.doe%40bank.com')).toBe(decoded.replace('@', '%40'));
  });

  it('map the hosts of one /24 one to one, keeping .0 and .255', () => {
    const p = createPseudonymizer(keyA);
    const hosts = new Set(Array.from({ length: 256 }, (_, i) => p.ipv4(`172.16.5.${i}`).split('.')[3]));
    expect(hosts.size).toBe(256);
    expect(p.ipv4('172.16.5.0').endsWith('.0')).toBe(true);
    expect(p.ipv4('172.16.5.255').endsWith('.255')).toBe(true);
  });

  it('keep an IPv6 in 2001:db8::/32 with its /64, whatever way it is written', () => {
    const p = createPseudonymizer(keyA);
    const x = p.ipv6('2a01:4f8:c17:1a2b::3');
    expect(isIPv6(x)).toBe(true);
    expect(x.startsWith('2001:db8:')).toBe(true);
    expect(p.ipv6('2a01:04f8:0c17:1a2b:0000:0000:0000:0003')).toBe(x);
    const y = p.ipv6('2a01:4f8:c17:1a2b::4');
    expect(expandIpv6(x)?.slice(0, 4)).toEqual(expandIpv6(y)?.slice(0, 4));
    expect(x).not.toBe(y);
  });

  it('write e-mail as user-token@domain-token.example, one domain token per domain', () => {
    const p = createPseudonymizer(keyA);
    const a = p.email('Ann.Lee@Bank.co.uk');
    const b = p.email('bob@bank.co.uk');
    expect(a).toMatch(/^user-[a-z2-7]{8}@domain-[a-z2-7]{8}\.example$/);
    expect(a.split('@')[1]).toBe(b.split('@')[1]);
    expect(p.email('ann.lee@bank.co.uk')).toBe(a);
  });

  it('keep the number of labels of a hostname and a common suffix per domain', () => {
    const p = createPseudonymizer(keyA);
    const a = p.hostname('db01.eu.acme.internal');
    const b = p.hostname('mq02.eu.acme.internal');
    expect(a.split('.')).toHaveLength(4);
    expect(a.endsWith('.example')).toBe(true);
    expect(a.split('.').slice(1)).toEqual(b.split('.').slice(1));
    expect(p.hostname('db01')).toMatch(/^host-[a-z2-7]{8}$/);
  });
});

describe('IPv6 text forms', () => {
  it('expands and compresses as RFC 5952 says', () => {
    expect(expandIpv6('::ffff:10.1.2.3')).toEqual(['0000', '0000', '0000', '0000', '0000', 'ffff', '0a01', '0203']);
    expect(compressIpv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe('2001:db8::1:0:0:1');
    expect(compressIpv6([1, 2, 3, 4, 5, 6, 7, 8])).toBe('1:2:3:4:5:6:7:8');
    expect(expandIpv6('not an address')).toBeUndefined();
  });
});
