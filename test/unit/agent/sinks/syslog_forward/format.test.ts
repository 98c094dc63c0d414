import { describe, expect, it } from 'vitest';
import { createSyslogParser } from '../../../../../agent/parsers/syslog.ts';
import {
  facilityCode,
  formatMessage,
  frame,
  headerField,
  type MessageFormat,
  paramValue,
  timestamp3164,
  timestamp5424,
} from '../../../../../agent/sinks/syslog_forward/format.ts';
import type { LogEvent } from '../../../../../schemas/log-event.ts';

const rfc5424: MessageFormat = {
  format: 'rfc5424',
  facility: facilityCode('user'),
  sdId: 'shiplog@32473',
  maxBytes: 65536,
};
const parse = createSyslogParser({ timezone: 'UTC' });

function containerEvent(overrides: Partial<LogEvent> = {}): LogEvent {
  return {
    '@timestamp': '2026-12-05T03:04:05.123456789Z',
    message: 'payment 42 failed: upstream said "no" [retrying]',
    event: { dataset: 'docker.container_logs' },
    log: { stream: 'stderr', level: 'error' },
    host: { name: 'bank-app-01' },
    container: { id: 'c0ffee12', name: 'payments', image: { name: 'registry.bank/payments', tag: '4.2.0' } },
    shiplog: { id: 'ev-1', origin: { source: 'docker', key: 'c0ffee12', position: '1', seq: 0 } },
    ...overrides,
  };
}

describe('syslog forward message format', () => {
  it('writes an RFC 5424 message that a syslog parser reads back field for field', () => {
    const message = formatMessage(containerEvent(), rfc5424);
    expect(message).toBe(
      '<11>1 2026-12-05T03:04:05.123456Z bank-app-01 payments - - [shiplog@32473 event_id="ev-1" container_id="c0ffee12" container_name="payments" container_image="registry.bank/payments:4.2.0" stream="stderr"] payment 42 failed: upstream said "no" [retrying]',
    );
    const parsed = parse(message, Date.now());
    expect(parsed.parse_failure).toBeUndefined();
    expect(parsed.message).toBe('payment 42 failed: upstream said "no" [retrying]');
    expect(parsed.syslog?.appname).toBe('payments');
    expect(parsed.syslog?.hostname).toBe('bank-app-01');
    expect(parsed.syslog?.severity?.name).toBe('error');
    expect(parsed.syslog?.structured_data?.['shiplog@32473']).toMatchObject({
      event_id: 'ev-1',
      container_image: 'registry.bank/payments:4.2.0',
    });
  });

  it('escapes quotes, backslashes and brackets in parameters, and keeps a hostile name from shifting the header', () => {
    expect(paramValue('a"b\\c]d')).toBe('a\\"b\\\\c\\]d');
    const event = containerEvent({
      container: { id: 'x', name: 'evil name]" injected="1' },
      host: { name: 'host with spaces\nand a newline' },
    });
    const parsed = parse(formatMessage(event, rfc5424), Date.now());
    expect(parsed.syslog?.hostname).toBe('host_with_spaces_and_a_newline');
    expect(parsed.syslog?.appname).toBe('evil_name]"_injected="1');
    expect(parsed.syslog?.structured_data?.['shiplog@32473']?.container_name).toBe('evil name]" injected="1');
    expect(parsed.message).toBe(event.message);
  });

  it('keeps header fields inside their RFC 5424 lengths and writes NILVALUE for what is missing', () => {
    expect(headerField('a'.repeat(300), 255)).toHaveLength(255);
    expect(headerField(undefined, 32)).toBe('-');
    expect(headerField('', 32)).toBe('-');
    expect(timestamp5424('not a time')).toBe('-');
    expect(timestamp5424('2026-12-05T03:04:05+01:00')).toBe('2026-12-05T03:04:05+01:00');
  });

  it('passes on the structured data a syslog sender gave, and its facility and severity', () => {
    const event = containerEvent({
      container: undefined,
      log: {
        syslog: {
          facility: { code: 10, name: 'authpriv' },
          severity: { code: 5, name: 'notice' },
          appname: 'sshd',
          procid: '812',
          msgid: 'LOGIN',
          structured_data: { 'origin@6876': { ip: '10.0.0.7' } },
        },
      },
    });
    const parsed = parse(formatMessage(event, rfc5424), Date.now());
    expect(parsed.syslog).toMatchObject({
      priority: 85,
      appname: 'sshd',
      procid: '812',
      msgid: 'LOGIN',
      structured_data: { 'origin@6876': { ip: '10.0.0.7' }, 'shiplog@32473': { event_id: 'ev-1' } },
    });
  });

  it('cuts a message longer than the limit on a character boundary and says how long it was', () => {
    const event = containerEvent({ message: 'ü'.repeat(1000) });
    const message = formatMessage(event, { ...rfc5424, maxBytes: 500 });
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(500);
    expect(message).toContain('truncated_from_bytes="2000"');
    expect(message).not.toContain('\uFFFD');
    expect(parse(message, Date.now()).message).toMatch(/^ü+$/);
  });

  it('writes RFC 3164 with the container as the tag and the time in UTC', () => {
    const message = formatMessage(containerEvent({ message: 'hello' }), { ...rfc5424, format: 'rfc3164' });
    expect(message).toBe('<11>Dec  5 03:04:05 bank-app-01 payments: hello');
    const parsed = parse(message, Date.parse('2026-12-05T04:00:00Z'));
    expect(parsed.process?.name).toBe('payments');
    expect(parsed.message).toBe('hello');
    expect(timestamp3164('2026-01-15T23:59:59.999999999Z')).toBe('Jan 15 23:59:59');
  });

  it('frames by octet counting in bytes, or by line feed with inner line feeds escaped', () => {
    const multiline = 'Exception in thread "main"\n\tat Main.run(Main.java:3)';
    expect(frame('ü x', 'octet_counting')).toBe('4 ü x');
    expect(frame(multiline, 'newline')).toBe('Exception in thread "main"#012\tat Main.run(Main.java:3)\n');
    expect(frame(multiline, 'datagram')).toBe(multiline);
  });

  it('refuses a facility it does not know', () => {
    expect(() => facilityCode('local9')).toThrow(RangeError);
    expect(facilityCode('local7')).toBe(23);
  });
});
