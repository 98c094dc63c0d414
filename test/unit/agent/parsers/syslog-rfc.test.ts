// The syslog parser against the RFCs' own corners: RFC 5424 §6 (header,
// NILVALUE, SD-PARAM escapes, BOM, field lengths, the §6.5 examples) and
// RFC 3164 §4-5 as devices send it. The vectors are written from the RFC
// text, not taken from another project's suite.
import { describe, expect, it } from 'vitest';
import { createSyslogParser, TIME_FROM_RECEIPT_TAG } from '../../../../agent/parsers/syslog.ts';

const READ_MS = Date.parse('2026-09-01T12:00:00Z');
const RECEIPT = '2026-09-01T12:00:00.000Z';
const parse = (line: string) => createSyslogParser({ timezone: 'UTC' })(line, READ_MS);
const BOM = '\ufeff';

describe('RFC 5424 §6.5 examples', () => {
  it('example 1: no STRUCTURED-DATA, a BOM before MSG, NILVALUE PROCID', () => {
    const parsed = parse(
      `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
    );
    expect(parsed).toEqual({
      '@timestamp': '2003-10-11T22:14:15.003Z',
      message: "'su root' failed for lonvick on /dev/pts/8",
      syslog: {
        version: 1,
        priority: 34,
        facility: { code: 4, name: 'auth' },
        severity: { code: 2, name: 'critical' },
        hostname: 'mymachine.example.com',
        appname: 'su',
        msgid: 'ID47',
      },
      process: { name: 'su' },
    });
  });

  it('example 2: an IP address as HOSTNAME, microseconds and a -07:00 offset', () => {
    const parsed = parse(
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
    );
    expect(parsed['@timestamp']).toBe('2003-08-24T12:14:15.000003Z');
    expect(parsed.syslog).toMatchObject({ hostname: '192.0.2.1', appname: 'myproc', procid: '8710' });
    expect(parsed.syslog?.msgid).toBeUndefined();
    expect(parsed.syslog?.facility).toEqual({ code: 20, name: 'local4' });
    expect(parsed.syslog?.severity).toEqual({ code: 5, name: 'notice' });
    expect(parsed.process).toEqual({ name: 'myproc', pid: 8710 });
    expect(parsed.message).toBe("%% It's time to make the do-nuts.");
  });

  it('example 3: one SD-ELEMENT with three parameters, then a BOM and MSG', () => {
    const parsed = parse(
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
    );
    expect(parsed.syslog?.structured_data).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
    });
    expect(parsed.message).toBe('An application event log entry...');
  });

  it('example 4: two SD-ELEMENTs and no MSG', () => {
    const parsed = parse(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
    expect(parsed.parse_failure).toBeUndefined();
    expect(parsed.syslog?.structured_data).toEqual({
      'exampleSDID@32473': { iut: '3', eventSource: 'Application', eventID: '1011' },
      'examplePriority@32473': { class: 'high' },
    });
    expect(parsed.message).toBe('');
  });
});

describe('RFC 5424 NILVALUE', () => {
  it('in every header field: the time of receipt stands in for TIMESTAMP, flagged', () => {
    const parsed = parse('<0>1 - - - - - - kernel panic imminent');
    expect(parsed['@timestamp']).toBe(RECEIPT);
    expect(parsed.time_from_receipt).toBe(true);
    expect(parsed.syslog).toEqual({
      version: 1,
      priority: 0,
      facility: { code: 0, name: 'kern' },
      severity: { code: 0, name: 'emergency' },
    });
    expect(parsed.process).toBeUndefined();
    expect(parsed.message).toBe('kernel panic imminent');
    expect(TIME_FROM_RECEIPT_TAG).toBe('timestamp_from_receipt');
  });

  it('in TIMESTAMP only: the other fields are read', () => {
    const parsed = parse('<86>1 - gw-7 sshd 4242 AUTH [origin ip="192.0.2.8"] session opened');
    expect(parsed.time_from_receipt).toBe(true);
    expect(parsed.syslog).toMatchObject({
      hostname: 'gw-7',
      appname: 'sshd',
      procid: '4242',
      msgid: 'AUTH',
      structured_data: { origin: { ip: '192.0.2.8' } },
    });
  });

  it('a present TIMESTAMP is not flagged', () => {
    expect(parse('<14>1 2026-01-01T00:00:00Z h a p m - x').time_from_receipt).toBeUndefined();
  });
});

describe('RFC 5424 SD-PARAM values (§6.3.3)', () => {
  it('unescapes \\" \\\\ and \\] and keeps a backslash before anything else', () => {
    const parsed = parse(
      String.raw`<14>1 2026-03-04T05:06:07Z h a - - [esc@1 quote="say \"hi\"" back="C:\\temp" bracket="[a\]" other="tab\t and \n"] m`,
    );
    expect(parsed.syslog?.structured_data).toEqual({
      'esc@1': { quote: 'say "hi"', back: 'C:\\temp', bracket: '[a]', other: String.raw`tab\t and \n` },
    });
    expect(parsed.message).toBe('m');
  });

  it('keeps an empty value, spaces and an unescaped "]" inside quotes', () => {
    const parsed = parse('<14>1 2026-03-04T05:06:07Z h a - - [v@1 empty="" spaced=" a  b " br="x]y"] m');
    expect(parsed.syslog?.structured_data).toEqual({ 'v@1': { empty: '', spaced: ' a  b ', br: 'x]y' } });
  });

  it('reads UTF-8 values in any script', () => {
    const parsed = parse('<14>1 2026-03-04T05:06:07Z h a - - [i18n@1 ru="Привет" ja="東京" ar="مرحبا" hi="नमस्ते"] ok');
    expect(parsed.syslog?.structured_data?.['i18n@1']).toEqual({ ru: 'Привет', ja: '東京', ar: 'مرحبا', hi: 'नमस्ते' });
  });

  it.each([
    ['a value never closed', '<14>1 2026-03-04T05:06:07Z h a - - [x@1 k="open] m'],
    ['a parameter without a value', '<14>1 2026-03-04T05:06:07Z h a - - [x@1 k] m'],
    ['an unquoted value', '<14>1 2026-03-04T05:06:07Z h a - - [x@1 k=v] m'],
    ['an element never closed', '<14>1 2026-03-04T05:06:07Z h a - - [x@1 k="v" m'],
    ['an empty SD-ID', '<14>1 2026-03-04T05:06:07Z h a - - [ k="v"] m'],
    ['no space between SD and MSG', '<14>1 2026-03-04T05:06:07Z h a - - [x@1 k="v"]m'],
  ])('%s is a parse failure that keeps the whole message', (_name, line) => {
    const parsed = parse(line);
    expect(parsed.parse_failure).toEqual(expect.any(String));
    expect(parsed.message).toBe(line);
  });
});

describe('RFC 5424 fields at their maximum length (§6)', () => {
  it('HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32, SD-ID and PARAM-NAME 32', () => {
    const host = `${'h'.repeat(63)}.${'o'.repeat(63)}.${'s'.repeat(63)}.${'t'.repeat(63)}`;
    expect(host.length).toBe(255);
    const app = 'A'.repeat(48);
    const proc = '9'.repeat(128);
    const msgid = 'M'.repeat(32);
    const sdId = `${'s'.repeat(26)}@32473`;
    const param = 'p'.repeat(32);
    expect(sdId.length).toBe(32);
    const parsed = parse(
      `<191>1 2026-12-31T23:59:59.999999+14:00 ${host} ${app} ${proc} ${msgid} [${sdId} ${param}="v"] end`,
    );
    expect(parsed.parse_failure).toBeUndefined();
    expect(parsed['@timestamp']).toBe('2026-12-31T09:59:59.999999Z');
    expect(parsed.syslog).toMatchObject({
      priority: 191,
      facility: { code: 23, name: 'local7' },
      severity: { code: 7, name: 'debug' },
      hostname: host,
      appname: app,
      procid: proc,
      msgid,
      structured_data: { [sdId]: { [param]: 'v' } },
    });
    // A PROCID of 128 digits is not a pid.
    expect(parsed.process).toEqual({ name: app });
    expect(parsed.message).toBe('end');
  });
});

describe('RFC 5424 MSG', () => {
  it('keeps UTF-8 of every script, line feeds inside (octet-counted framing allows them) and trailing spaces', () => {
    const text = 'Grüße — Привет — 你好 — שלום — 🙂 — ą\nsecond line\tend  ';
    const parsed = parse(`<14>1 2026-03-04T05:06:07Z h a - - - ${BOM}${text}`);
    expect(parsed.message).toBe(text);
  });

  it('removes only the first BOM, and only right at the start of MSG', () => {
    expect(parse(`<14>1 2026-03-04T05:06:07Z h a - - - ${BOM}${BOM}x`).message).toBe(`${BOM}x`);
    expect(parse(`<14>1 2026-03-04T05:06:07Z h a - - - a${BOM}b`).message).toBe(`a${BOM}b`);
  });

  it('an empty MSG after SD and its space is an empty message', () => {
    expect(parse('<14>1 2026-03-04T05:06:07Z h a - - - ').message).toBe('');
  });
});

describe('RFC 5424 lines that are not RFC 5424', () => {
  it.each([
    ['PRI above 191', '<192>1 2026-03-04T05:06:07Z h a - - - m'],
    ['a timestamp without a zone', '<14>1 2026-03-04T05:06:07 h a - - - m'],
    ['a date that does not exist', '<14>1 2026-02-30T05:06:07Z h a - - - m'],
    ['an empty header field (two spaces)', '<14>1 2026-03-04T05:06:07Z h  a - - - m'],
    ['a header that ends early', '<14>1 2026-03-04T05:06:07Z h a'],
    ['no STRUCTURED-DATA', '<14>1 2026-03-04T05:06:07Z h a p m'],
  ])('%s is kept whole and flagged', (_name, line) => {
    const parsed = parse(line);
    expect(parsed.parse_failure).toEqual(expect.any(String));
    expect(parsed.message).toBe(line);
    expect(parsed['@timestamp']).toBe(RECEIPT);
  });
});

describe('RFC 3164 as devices send it', () => {
  it('§5.4 example 1', () => {
    const parsed = parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8");
    expect(parsed['@timestamp']).toBe('2025-10-11T22:14:15.000Z');
    expect(parsed.syslog).toMatchObject({ priority: 34, hostname: 'mymachine', appname: 'su' });
    expect(parsed.message).toBe("'su root' failed for lonvick on /dev/pts/8");
  });

  it('§4.3.3: a PRI without a TIMESTAMP is content with the time of receipt, flagged', () => {
    const parsed = parse('<13>Use the BFG!');
    expect(parsed.parse_failure).toBeUndefined();
    expect(parsed.time_from_receipt).toBe(true);
    expect(parsed['@timestamp']).toBe(RECEIPT);
    expect(parsed.syslog).toEqual({
      priority: 13,
      facility: { code: 1, name: 'user' },
      severity: { code: 5, name: 'notice' },
    });
    expect(parsed.message).toBe('Use the BFG!');
  });

  it('§5.4 example 4 (a timestamp that is not one) is content with the time of receipt', () => {
    const line = "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!";
    const parsed = parse(line);
    expect(parsed.time_from_receipt).toBe(true);
    expect(parsed.message).toBe(line.slice(3));
  });

  it('without PRI and without a timestamp the line is kept whole and flagged', () => {
    const parsed = parse('Use the BFG!');
    expect(parsed.parse_failure).toEqual(expect.any(String));
    expect(parsed.message).toBe('Use the BFG!');
  });

  it.each([
    [
      'an IPv4 address as HOSTNAME',
      '<190>Dec  3 09:15:00 10.20.30.40 dhcpd[501]: DHCPACK on 10.20.30.99',
      { hostname: '10.20.30.40', appname: 'dhcpd', procid: '501' },
      'DHCPACK on 10.20.30.99',
      '2025-12-03T09:15:00.000Z',
    ],
    [
      'no HOSTNAME, a tag with a pid',
      '<30>Mar  7 10:11:12 ntpd[812]: kernel reports TIME_ERROR',
      { appname: 'ntpd', procid: '812' },
      'kernel reports TIME_ERROR',
      '2026-03-07T10:11:12.000Z',
    ],
    [
      'no HOSTNAME, a tag without a pid',
      '<30>Mar  7 10:11:12 kernel: usb 1-1: new device',
      { appname: 'kernel' },
      'usb 1-1: new device',
      '2026-03-07T10:11:12.000Z',
    ],
    [
      'a one-digit day after one space',
      '<14>Mar 7 10:11:12 sw01 stp: port 3 blocking',
      { hostname: 'sw01', appname: 'stp' },
      'port 3 blocking',
      '2026-03-07T10:11:12.000Z',
    ],
    [
      'a year between the date and the time',
      '<14>Mar  7 2024 10:11:12 sw01 stp: port 3 blocking',
      { hostname: 'sw01', appname: 'stp' },
      'port 3 blocking',
      '2024-03-07T10:11:12.000Z',
    ],
    [
      'a clock marked unsynchronised, milliseconds, and a colon after the time',
      '<189>*Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured from console by vty0',
      { appname: '%SYS-5-CONFIG_I' },
      'Configured from console by vty0',
      '2026-03-01T18:46:11.123Z',
    ],
    [
      'a tag with a pid and no colon',
      '<14>Jul  4 12:00:00 app07 batchd[12] started nightly run',
      { hostname: 'app07', appname: 'batchd', procid: '12' },
      'started nightly run',
      '2026-07-04T12:00:00.000Z',
    ],
  ])('%s', (_name, line, syslog, message, stamp) => {
    const parsed = parse(line);
    expect(parsed.parse_failure).toBeUndefined();
    expect(parsed.syslog).toMatchObject(syslog);
    expect(parsed.message).toBe(message);
    expect(parsed['@timestamp']).toBe(stamp);
  });

  it('keeps non-ASCII content as it is', () => {
    expect(parse('<14>Mar  7 10:11:12 h app: Zürich 東京 🙂').message).toBe('Zürich 東京 🙂');
  });
});
