// The agent's error registry. Every error the agent raises on purpose has a
// stable code here; callers and tests match on `.code`, never on the message.
// A test (test/unit/agent/errors.test.ts) pins this table: changing a code is
// a breaking change for operators' alerting and scripts.

import type { ErrorSpec } from '../core/coded-error.ts';

export const agentErrors = {
  CONFIG_INVALID: {
    code: 'SHIPLOG_ERR_CONFIG_INVALID',
    message: 'configuration {source} is invalid: {detail}. Fix the named setting and start again.',
    permanent: true,
  },
  CONFIG_UNREADABLE: {
    code: 'SHIPLOG_ERR_CONFIG_UNREADABLE',
    message: 'cannot read configuration file {path}: {detail}. Check the path and its permissions.',
    permanent: true,
  },
  CONFIG_PARSE: {
    code: 'SHIPLOG_ERR_CONFIG_PARSE',
    message: 'configuration file {path} is not valid YAML: {detail}.',
    permanent: true,
  },
  USAGE: {
    code: 'SHIPLOG_ERR_USAGE',
    message: '{detail}. Run "shiplog --help" for the commands and their options.',
    permanent: true,
  },
  NOT_IMPLEMENTED: {
    code: 'SHIPLOG_ERR_NOT_IMPLEMENTED',
    message: '"shiplog {command}" is not built yet in this version of shiplog.',
    permanent: true,
  },
} as const satisfies Record<string, ErrorSpec>;

export type AgentErrorName = keyof typeof agentErrors;
