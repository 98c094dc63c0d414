// The agent's own logs: pino JSON on stdout (and a bounded copy in the data
// directory, see self-log.ts). Secret settings are censored by path, and
// nothing on the hot path logs per event (counters do that job).
import { type Logger, pino } from 'pino';

export type { Logger };

const secretPaths = [
  'password',
  'api_key',
  'apiKey',
  'authorization',
  '*.password',
  '*.api_key',
  '*.authorization',
  'config.elasticsearch.password',
  'config.elasticsearch.api_key',
  'headers.authorization',
];

/** Where log lines go: stdout, and a copy (the agent's self-log file) when given. */
export function createLogger(
  level: string,
  destination: NodeJS.WritableStream = process.stdout,
  copy?: { write(line: string): unknown },
): Logger {
  const target = copy
    ? {
        write(line: string): boolean {
          destination.write(line);
          copy.write(line);
          return true;
        },
      }
    : destination;
  return pino(
    {
      name: 'shiplog',
      level,
      base: { pid: process.pid },
      redact: { paths: secretPaths, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    target as pino.DestinationStream,
  );
}
