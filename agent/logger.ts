// The agent's own logs: pino JSON on stdout. Secret settings are censored by
// path, and nothing on the hot path logs per event (counters do that job).
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

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      name: 'shiplog',
      level,
      base: { pid: process.pid },
      redact: { paths: secretPaths, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination as pino.DestinationStream,
  );
}
