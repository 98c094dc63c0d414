import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../../agent/redaction/index.ts';
import { tempDir } from '../../../helpers/temp.ts';

const siteKey = Buffer.alloc(32, 3);

function ruleFile(text: string): string {
  const dir = tempDir('shiplog-redaction-');
  const path = join(dir, 'rules.yaml');
  writeFileSync(path, text);
  return path;
}

describe('lines', () => {
  it('keeps one output line per input line, in order, with CR LF endings', () => {
    const redactor = createRedactor({ siteKey });
    const input = 'a password=hunter2x\r\nb\r\n\r\nc token=abc123def\nlast without newline';
    const { text } = redactor.redactText(input);
    expect(text.split('\n')).toHaveLength(input.split('\n').length);
    expect(text).toBe(
      'a password=[REDACTED:secret-assignment]\r\nb\r\n\r\nc token=[REDACTED:secret-assignment]\nlast without newline',
    );
  });

  it('masks a quoted value even when the line was cut before its closing quote', () => {
    const redactor = createRedactor({ siteKey });
    expect(redactor.redactText('{"user":"app","password":"hunter2-and-more').text).toBe(
      '{"user":"app","password":"[REDACTED:secret-assignment]',
    );
    expect(redactor.redactText('msg="{\\"password\\":\\"hunter2-and').text).toBe(
      'msg="{\\"password\\":\\"[REDACTED:secret-assignment]',
    );
  });

  it('keeps the key and the scheme readable outside the mask', () => {
    const { text } = createRedactor({ siteKey }).redactText('Authorization: Basic c3ZjOnNlY3JldC12YWx1ZQ==');
    expect(text).toBe('Authorization: Basic [REDACTED:authorization-header]');
  });

  it('is idempotent: redacting redacted text changes nothing', () => {
    const redactor = createRedactor({ siteKey });
    const once = redactor.redactText(
      'u=bob@bank.co.uk ip=10.1.2.3 v6=2a01:4f8::3 card=4526 0181 5908 3012 pw=x password=abcdef123 -----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIB\\n-----END EC PRIVATE KEY-----',
    ).text;
    expect(redactor.redactText(once).text).toBe(once);
    expect(redactor.scanText(once).findings).toEqual([]);
  });
});

describe('keep-list', () => {
  const redactor = createRedactor({ siteKey });

  it('leaves a UUID, a commit SHA, a digest and a container id after key=', () => {
    const line =
      'key=f47ac10b-58cc-4372-a567-0e02b2c3d479 sig=9fceb02d0ae598e95dc970b74767f19372d61af8 key=sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae auth=4b825dc642cb6eb9a060e54bf8d69288fbee4904d1a8f8b2e4a4f1b9c3d2e1f0';
    expect(redactor.redactText(line).text).toBe(line);
  });

  it('masks the same shapes after an explicit secret key', () => {
    const { text } = redactor.redactText(
      'password=f47ac10b-58cc-4372-a567-0e02b2c3d479 token=9fceb02d0ae598e95dc970b74767f19372d61af8',
    );
    expect(text).toBe('password=[REDACTED:secret-assignment] token=[REDACTED:secret-assignment]');
  });

  it('masks a random value after key= but not an identifier', () => {
    expect(redactor.redactText('key=Zq8vL2xN4pR7tY1wK9mB3cF6').text).toBe('key=[REDACTED:generic-secret-value]');
    expect(redactor.redactText('key=UserSessionCacheProvider').text).toBe('key=UserSessionCacheProvider');
  });

  it('does not treat loopback, unspecified or version strings as personal data', () => {
    const line = 'bind 127.0.0.1:80 0.0.0.0:443 [::1]:9465 version 10.2.3.4 Chrome/122.0.0.0';
    expect(redactor.redactText(line).text).toBe(line);
  });
});

describe('pseudonyms in context', () => {
  const redactor = createRedactor({ siteKey });

  it('keeps two hosts of one /24 in one /24, as two different hosts', () => {
    const { text } = redactor.redactText('a 10.20.30.40 b 10.20.30.41 c 10.20.31.40');
    const [a, b, c] = text.match(/198\.1[89]\.\d+\.\d+/g) ?? [];
    expect(a?.split('.').slice(0, 3)).toEqual(b?.split('.').slice(0, 3));
    expect(a).not.toBe(b);
    expect(c).toBeDefined();
  });

  it('gives the same value the same token on every line and in JSON', () => {
    const first = redactor.redactText('login jane.roe@bank.co.uk').text.split(' ')[1];
    const second = redactor.redactText('logout jane.roe@bank.co.uk').text.split(' ')[1];
    const json = redactor.redactJson({ user: 'jane.roe@bank.co.uk' }).value.user;
    expect(first).toMatch(/^user-[a-z2-7]{8}@domain-[a-z2-7]{8}\.example$/);
    expect(second).toBe(first);
    expect(json).toBe(first);
  });
});

describe('actions', () => {
  it('masks personal data with personal: mask, and keeps it with personal: keep', () => {
    const line = 'from 10.1.2.3 user bob@bank.co.uk';
    const masked = createRedactor({ siteKey, settings: { personal: 'mask' } }).redactText(line).text;
    expect(masked).toBe('from [REDACTED:ipv4] user [REDACTED:email]');
    const kept = createRedactor({ siteKey, settings: { personal: 'keep' } });
    expect(kept.redactText(line).text).toBe(line);
    expect(kept.keyId).toBeUndefined();
  });

  it('pseudonymizes secrets with secrets: pseudonymize, stably', () => {
    const redactor = createRedactor({ siteKey, settings: { secrets: 'pseudonymize' } });
    const a = redactor.redactText('password=hunter2hunter2').text;
    expect(a).toMatch(/^password=\[PSEUDONYM:secret-assignment:[a-z2-7]{8}\]$/);
    expect(redactor.redactText('password=hunter2hunter2').text).toBe(a);
  });

  it('applies operator rules: literals, regexes, actions, and keep as a shield', () => {
    const rules = ruleFile(`name: site
version: 1.0.0
rules:
  - id: customer-name
    category: operator
    literal: Acme Bank
    ignore_case: true
  - id: internal-host
    category: operator
    regex: '\\b[a-z0-9-]+(?:\\.[a-z0-9-]+)*\\.acme\\.internal\\b'
    action: pseudonymize
    shape: hostname
  - id: lab-network
    category: operator
    regex: '10\\.99\\.\\d+\\.\\d+'
    action: keep
`);
    const redactor = createRedactor({ siteKey, settings: { rules } });
    const { text, counts } = redactor.redactText('ACME BANK db01.eu.acme.internal from 10.99.1.2 and 10.1.2.3');
    expect(text).toMatch(
      /^\[REDACTED:customer-name\] [a-z2-7]{8}\.[a-z2-7]{8}\.[a-z2-7]{8}\.example from 10\.99\.1\.2 and 198\.1[89]\.\d+\.\d+$/,
    );
    expect(counts.by_category.operator).toBe(2);
    expect(redactor.ruleSet.packs.map((pack) => pack.name)).toEqual(['credentials', 'keep', 'personal', 'site']);
  });

  it('lets an operator pack replace a built-in rule by its id', () => {
    const rules = ruleFile(`name: site
version: 1.0.0
rules:
  - id: ipv4
    category: personal
    regex: '\\b\\d+\\.\\d+\\.\\d+\\.\\d+\\b'
    action: keep
`);
    const redactor = createRedactor({ siteKey, settings: { rules } });
    expect(redactor.redactText('from 10.1.2.3').text).toBe('from 10.1.2.3');
  });
});

describe('PEM private keys', () => {
  const body = [
    'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDfZ3k2',
    'q9Xb1Lr7Tm4Wc0Ys8Nh5Jp2Vd6Ke3Ra/Ug+Zi1Ob7Qf9Mn4Tl0Sx5Hy',
    'Kw8==',
  ];

  it('masks a multi-line key and keeps the armour lines and the next log line', () => {
    const input = [
      'loading key:',
      '-----BEGIN RSA PRIVATE KEY-----',
      ...body,
      '-----END RSA PRIVATE KEY-----',
      'key loaded',
    ].join('\n');
    const { text, counts } = createRedactor({ siteKey }).redactText(input);
    expect(text.split('\n')).toEqual([
      'loading key:',
      '-----BEGIN RSA PRIVATE KEY-----',
      '[REDACTED:private-key]',
      '[REDACTED:private-key]',
      '[REDACTED:private-key]',
      '-----END RSA PRIVATE KEY-----',
      'key loaded',
    ]);
    expect(counts.by_rule['private-key']).toBe(3);
  });

  it('masks a key whose lines carry a log prefix', () => {
    const input = [
      'Mar 14 10:11:12 node04 app[42]: -----BEGIN OPENSSH PRIVATE KEY-----',
      ...body.map((line) => `Mar 14 10:11:12 node04 app[42]: ${line}`),
      'Mar 14 10:11:12 node04 app[42]: -----END OPENSSH PRIVATE KEY-----',
    ].join('\n');
    const { text } = createRedactor({ siteKey }).redactText(input);
    for (const line of body) expect(text).not.toContain(line);
    expect(text.split('\n').at(-1)).toBe('Mar 14 10:11:12 node04 app[42]: -----END OPENSSH PRIVATE KEY-----');
  });

  it('masks a one-line and a JSON-escaped key', () => {
    const redactor = createRedactor({ siteKey });
    const oneLine = `-----BEGIN PRIVATE KEY----- ${body.join(' ')} -----END PRIVATE KEY-----`;
    expect(redactor.redactText(oneLine).text).toBe(
      '-----BEGIN PRIVATE KEY-----[REDACTED:private-key]-----END PRIVATE KEY-----',
    );
    const json = JSON.stringify({
      private_key: `-----BEGIN PRIVATE KEY-----\n${body.join('\n')}\n-----END PRIVATE KEY-----\n`,
    });
    const out = redactor.redactText(json).text;
    for (const line of body) expect(out).not.toContain(line);
  });
});

describe('runtime literals', () => {
  const secret = 'Tr0ub4dor&3-horse';

  it('redacts a literal as it is, URL-encoded, and base64-encoded at every alignment', () => {
    const redactor = createRedactor({ siteKey, literals: [secret] });
    const lines = [
      `echo ${secret}`,
      `GET /x?p=${encodeURIComponent(secret)}`,
      `blob ${Buffer.from(secret).toString('base64')}`,
      `basic ${Buffer.from(`a:${secret}`).toString('base64')}`,
      `basic ${Buffer.from(`ab:${secret}`).toString('base64')}`,
      `basic ${Buffer.from(`abc:${secret}:x`).toString('base64url')}`,
    ];
    for (const line of lines) {
      const { text } = redactor.redactText(line);
      expect(text, line).toContain('[REDACTED:runtime-literal]');
    }
  });

  it('takes literals added later, and ignores values too short to search for', () => {
    const redactor = createRedactor({ siteKey });
    expect(redactor.addLiterals(['abc', 'S3cretValue9'])).toBe(1);
    expect(redactor.redactText('value S3cretValue9 and abc').text).toBe('value [REDACTED:runtime-literal] and abc');
  });
});

describe('environment variables', () => {
  it('adds the values of secret-looking variables as literals, and only those', () => {
    const redactor = createRedactor({ siteKey });
    const added = redactor.addEnvironment([
      'PATH=/usr/local/bin:/usr/bin',
      'DB_PASSWORD=Pg-Ledger-2024',
      'HOME=/root',
      'API_TOKEN=tok_9f8e7d6c',
    ]);
    expect(added).toBe(2);
    expect(redactor.addEnvironment({ STRIPE_SECRET: 'whs-77aa88bb', LANG: 'en_US.UTF-8' })).toBe(1);
    const { text } = redactor.redactText('dsn uses Pg-Ledger-2024, auth tok_9f8e7d6c, hook whs-77aa88bb, home /root');
    expect(text).toBe(
      'dsn uses [REDACTED:runtime-literal], auth [REDACTED:runtime-literal], hook [REDACTED:runtime-literal], home /root',
    );
  });
});

describe('redactJson', () => {
  it('replaces values of secret-named fields whole and redacts other strings by value', () => {
    const redactor = createRedactor({ siteKey });
    const document = {
      db: { user: 'app', password: 'hunter2x', credentials: { a: 'x1', b: ['y2', 3] } },
      apiKey: 12345,
      note: 'contact ops@bank.co.uk',
      enabled: true,
      tokens: 5,
      'bob@bank.co.uk': 'keyed by e-mail',
      empty_password: '',
    };
    const { value, counts } = redactor.redactJson(document);
    expect(value.db.password).toBe('[REDACTED:secret-assignment]');
    expect(value.db.credentials).toEqual({
      a: '[REDACTED:secret-assignment]',
      b: ['[REDACTED:secret-assignment]', '[REDACTED:secret-assignment]'],
    });
    expect(value.apiKey).toBe('[REDACTED:secret-assignment]');
    expect(value.note).toMatch(/^contact user-[a-z2-7]{8}@domain-[a-z2-7]{8}\.example$/);
    expect(value.enabled).toBe(true);
    expect(value.tokens).toBe(5);
    expect(value.empty_password).toBe('');
    expect(Object.keys(value)).not.toContain('bob@bank.co.uk');
    expect(document.db.password).toBe('hunter2x');
    expect(counts.by_category.secret).toBe(5);
  });

  it('replaces a random-looking value of a field named key, but not an identifier', () => {
    const { value } = createRedactor({ siteKey }).redactJson({
      key: 'Zq8vL2xN4pR7tY1wK9mB3cF6',
      cache: { key: 'user:42', sort_key: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' },
    });
    expect(value).toEqual({
      key: '[REDACTED:generic-secret-value]',
      cache: { key: 'user:42', sort_key: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' },
    });
  });
});

describe('rescan', () => {
  it('reports rule, category, line and column without changing anything', () => {
    const redactor = createRedactor({ siteKey });
    const text = 'clean line\nuser bob@bank.co.uk password=hunter2x\n\nfrom 10.1.2.3';
    const report = redactor.scanText(text);
    expect(report.findings).toEqual([
      { rule: 'email', category: 'personal', action: 'pseudonymize', line: 2, column: 6, length: 14 },
      { rule: 'secret-assignment', category: 'secret', action: 'mask', line: 2, column: 30, length: 8 },
      { rule: 'ipv4', category: 'personal', action: 'pseudonymize', line: 4, column: 6, length: 8 },
    ]);
    expect(report.counts.total).toBe(3);
    expect(report.lines).toBe(4);
  });

  it('does not report what the actions keep', () => {
    const redactor = createRedactor({ siteKey, settings: { personal: 'keep' } });
    expect(redactor.scanText('from 10.1.2.3').findings).toEqual([]);
  });
});

describe('counts', () => {
  it('counts per rule and per category, per call and in total', () => {
    const redactor = createRedactor({ siteKey });
    const a = redactor.redactText('password=abcdefg1 10.1.2.3 10.1.2.4').counts;
    expect(a).toEqual({
      total: 3,
      by_category: { secret: 1, personal: 2, operator: 0 },
      by_rule: { ipv4: 2, 'secret-assignment': 1 },
    });
    redactor.redactText('token=abcdefg1');
    expect(redactor.totals().by_rule['secret-assignment']).toBe(2);
  });
});
