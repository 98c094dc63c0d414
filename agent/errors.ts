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
  // elasticsearch sink
  SINK_ES_TLS_FILE: {
    code: 'SHIPLOG_ERR_SINK_ES_TLS_FILE',
    message: 'cannot read {setting} file {path}: {detail}. Point it at a readable PEM file.',
    permanent: true,
  },
  SINK_ES_UNREACHABLE: {
    code: 'SHIPLOG_ERR_SINK_ES_UNREACHABLE',
    message: 'Elasticsearch at {url} did not answer: {detail}. Events stay in the spool and are sent once it answers.',
    permanent: false,
  },
  SINK_ES_AUTH: {
    code: 'SHIPLOG_ERR_SINK_ES_AUTH',
    message: 'Elasticsearch refused our credentials ({detail}). Check elasticsearch.username/password or api_key; events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_ES_TEMPLATE: {
    code: 'SHIPLOG_ERR_SINK_ES_TEMPLATE',
    message: 'Elasticsearch rejected the index template for {dataStream}: {detail}.',
    permanent: false,
  },
  SINK_ES_REJECTED: {
    code: 'SHIPLOG_ERR_SINK_ES_REJECTED',
    message: 'Elasticsearch rejected {count} event(s) for good ({detail}); they were written to {path}.',
    permanent: true,
  },
} as const satisfies Record<string, ErrorSpec>;

export type AgentErrorName = keyof typeof agentErrors;
