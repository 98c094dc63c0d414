import { describe, expect, it } from 'vitest';
import {
  isCardNumber,
  isIban,
  isIpv6Address,
  isUsSsn,
  looksRandom,
  shannonEntropy,
} from '../../../../agent/redaction/validators.ts';

describe('validators', () => {
  it('accepts card numbers of known issuers that pass Luhn, in groups or not', () => {
    expect(isCardNumber('4526 0181 5908 3012')).toBe(true);
    expect(isCardNumber('5266131860913905')).toBe(true);
    expect(isCardNumber('3799-603082-46287')).toBe(true);
    expect(isCardNumber('4526 0181 5908 3013')).toBe(false);
    expect(isCardNumber('1710411072345000')).toBe(false);
    expect(isCardNumber('452601815908')).toBe(false);
  });

  it('checks IBAN country, length and mod-97', () => {
    expect(isIban('DE13 5001 0517 1948 2199 35')).toBe(true);
    expect(isIban('GB50NWBK18190937865797')).toBe(true);
    expect(isIban('GB51NWBK18190937865797')).toBe(false);
    expect(isIban('DE13 5001 0517 1948 2199 3')).toBe(false);
    expect(isIban('ZZ13 5001 0517 1948 2199 35')).toBe(false);
  });

  it('rejects SSNs that cannot be issued', () => {
    expect(isUsSsn('536-22-8751')).toBe(true);
    for (const ssn of ['000-22-8751', '666-22-8751', '912-22-8751', '536-00-8751', '536-22-0000'])
      expect(isUsSsn(ssn)).toBe(false);
  });

  it('measures randomness', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
    expect(looksRandom('Zq8vL2xN4pR7tY1wK9mB3cF6', 3.5)).toBe(true);
    expect(looksRandom('averylongconfigurationname', 3.5)).toBe(false);
    expect(looksRandom('UserSessionCacheProvider', 3.5)).toBe(false);
  });

  it('accepts IPv6 addresses but not C++ scopes', () => {
    expect(isIpv6Address('fe80::1')).toBe(true);
    expect(isIpv6Address('2001:db8:0:0:0:0:0:1')).toBe(true);
    expect(isIpv6Address('dead::beef')).toBe(false);
    expect(isIpv6Address('a::b::c')).toBe(false);
  });
});
