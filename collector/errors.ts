// The collector's error registry: stable codes, advice-style messages and the
// HTTP status each maps to. Pinned by test/unit/collector/errors.test.ts.

import type { ErrorSpec } from '../core/coded-error.ts';

export interface HttpErrorSpec extends ErrorSpec {
  readonly status: number;
}

export const collectorErrors = {
  CONFIG_INVALID: {
    code: 'COLLECTOR_ERR_CONFIG_INVALID',
    message: 'configuration {source} is invalid: {detail}. Fix the named setting and start again.',
    permanent: true,
    status: 500,
  },
  USAGE: {
    code: 'COLLECTOR_ERR_USAGE',
    message: '{detail}. Run "shiplog-collector --help" for the commands and their options.',
    permanent: true,
    status: 400,
  },
  NOT_IMPLEMENTED: {
    code: 'COLLECTOR_ERR_NOT_IMPLEMENTED',
    message: '"shiplog-collector {command}" is not built yet in this version of shiplog.',
    permanent: true,
    status: 501,
  },
  UPLOAD_TOO_LARGE: {
    code: 'COLLECTOR_ERR_UPLOAD_TOO_LARGE',
    message:
      'the upload is larger than the {limit} this portal accepts. Split the bundle with "shiplog dump --max-size" or ask the vendor to raise the limit.',
    permanent: true,
    status: 413,
  },
} as const satisfies Record<string, HttpErrorSpec>;

export type CollectorErrorName = keyof typeof collectorErrors;
