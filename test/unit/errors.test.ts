import { describe, expect, it } from 'vitest';
import { agentErrors } from '../../agent/errors.ts';
import { collectorErrors } from '../../collector/errors.ts';

// Operators alert on these codes and scripts match them: a code that changes
// or disappears is a breaking change. Adding one means adding it here too.
const pinnedAgentCodes = [
  'SHIPLOG_ERR_AGENT_NOT_RUNNING',
  'SHIPLOG_ERR_BUNDLE_BAD_SIGNATURE',
  'SHIPLOG_ERR_BUNDLE_DECRYPT',
  'SHIPLOG_ERR_BUNDLE_LIMIT',
  'SHIPLOG_ERR_BUNDLE_MANIFEST_INVALID',
  'SHIPLOG_ERR_BUNDLE_NOT_A_BUNDLE',
  'SHIPLOG_ERR_BUNDLE_RECIPIENT',
  'SHIPLOG_ERR_BUNDLE_SIGNER_INVALID',
  'SHIPLOG_ERR_BUNDLE_SIGNING_KEY',
  'SHIPLOG_ERR_BUNDLE_TAMPERED',
  'SHIPLOG_ERR_BUNDLE_TRUNCATED',
  'SHIPLOG_ERR_BUNDLE_UNREADABLE',
  'SHIPLOG_ERR_BUNDLE_UNSAFE_ENTRY',
  'SHIPLOG_ERR_BUNDLE_UNSIGNED',
  'SHIPLOG_ERR_BUNDLE_WRITE',
  'SHIPLOG_ERR_BUNDLE_WRONG_SIGNER',
  'SHIPLOG_ERR_CHECKPOINT_IO',
  'SHIPLOG_ERR_COLLECTOR_FAILED',
  'SHIPLOG_ERR_COLLECTOR_SKIPPED',
  'SHIPLOG_ERR_COLLECTOR_TIMEOUT',
  'SHIPLOG_ERR_CONFIG_INVALID',
  'SHIPLOG_ERR_CONFIG_PARSE',
  'SHIPLOG_ERR_CONFIG_UNREADABLE',
  'SHIPLOG_ERR_DATA_DIR_UNUSABLE',
  'SHIPLOG_ERR_DOCKER_LOGS_STREAM',
  'SHIPLOG_ERR_DOCKER_LOGS_UNREADABLE',
  'SHIPLOG_ERR_DOCKER_LOG_DRIVER_UNSUPPORTED',
  'SHIPLOG_ERR_DOCKER_UNREACHABLE',
  'SHIPLOG_ERR_DUMP_RESCAN_FOUND',
  'SHIPLOG_ERR_DUMP_WINDOW',
  'SHIPLOG_ERR_FILE_ROTATED_AWAY',
  'SHIPLOG_ERR_FILE_TIMEZONE_INVALID',
  'SHIPLOG_ERR_FILE_UNREADABLE',
  'SHIPLOG_ERR_MULTILINE_PATTERN_INVALID',
  'SHIPLOG_ERR_REDACTION_IO',
  'SHIPLOG_ERR_REDACTION_RULES_INVALID',
  'SHIPLOG_ERR_REDACTION_RULES_UNREADABLE',
  'SHIPLOG_ERR_REDACTION_RULE_COMPILE',
  'SHIPLOG_ERR_REDACTION_SITE_KEY',
  'SHIPLOG_ERR_SHIP_UNREADABLE',
  'SHIPLOG_ERR_SINK_ES_AUTH',
  'SHIPLOG_ERR_SINK_ES_REJECTED',
  'SHIPLOG_ERR_SINK_ES_TEMPLATE',
  'SHIPLOG_ERR_SINK_ES_TLS_FILE',
  'SHIPLOG_ERR_SINK_ES_UNREACHABLE',
  'SHIPLOG_ERR_SPOOL_CLOSED',
  'SHIPLOG_ERR_SPOOL_IO',
  'SHIPLOG_ERR_SPOOL_LOCKED',
  'SHIPLOG_ERR_USAGE',
];

const pinnedCollectorCodes = [
  'COLLECTOR_ERR_CONFIG_INVALID',
  'COLLECTOR_ERR_NOT_IMPLEMENTED',
  'COLLECTOR_ERR_UPLOAD_TOO_LARGE',
  'COLLECTOR_ERR_USAGE',
];

describe('error registries', () => {
  it('pins every agent error code', () => {
    expect(
      Object.values(agentErrors)
        .map((spec) => spec.code)
        .sort(),
    ).toEqual(pinnedAgentCodes);
  });

  it('pins every collector error code with its HTTP status', () => {
    expect(
      Object.values(collectorErrors)
        .map((spec) => spec.code)
        .sort(),
    ).toEqual(pinnedCollectorCodes);
    for (const spec of Object.values(collectorErrors)) {
      expect(spec.status, spec.code).toBeGreaterThanOrEqual(400);
      expect(spec.status, spec.code).toBeLessThan(600);
    }
  });

  it('names each registry entry after its code, so a code is found from its key', () => {
    for (const [name, spec] of Object.entries(agentErrors)) expect(spec.code).toBe(`SHIPLOG_ERR_${name}`);
    for (const [name, spec] of Object.entries(collectorErrors)) expect(spec.code).toBe(`COLLECTOR_ERR_${name}`);
  });

  it('writes messages as sentences a user can act on', () => {
    for (const spec of [...Object.values(agentErrors), ...Object.values(collectorErrors)]) {
      expect(spec.message.length, spec.code).toBeGreaterThan(20);
      expect(spec.message, spec.code).not.toMatch(/^\s|\s$/);
    }
  });
});
