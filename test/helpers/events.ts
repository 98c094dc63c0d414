// Builds LogEvents the way a source would, for tests of sinks and the spool.
import { eventId } from '../../agent/pipeline/event-id.ts';
import type { LogEvent } from '../../schemas/log-event.ts';

export function syslogEvent(seq: number, overrides: Partial<LogEvent> = {}): LogEvent {
  const origin = { source: 'file' as const, key: 'test:1:abc', position: String(seq * 100), seq: 0 };
  const nanos = String(seq % 1_000_000_000).padStart(9, '0');
  return {
    '@timestamp': `2026-11-25T03:12:45.${nanos}Z`,
    message: `line ${seq} of the test`,
    event: { dataset: 'system.syslog' },
    host: { name: 'test-host' },
    log: { file: { path: '/var/log/messages' }, syslog: { appname: 'payments', procid: '42' } },
    process: { name: 'payments', pid: 42 },
    shiplog: { id: eventId('test-host', origin), origin },
    ...overrides,
  };
}
