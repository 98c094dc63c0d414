import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentConfigSecrets, loadAgentConfig, printableAgentConfig } from '../../../agent/config.ts';
import { CodedError } from '../../../core/coded-error.ts';
import { tempDir } from '../../helpers/temp.ts';

const fixture = (name: string) => join(import.meta.dirname, '../../fixtures/config', name);

function loadError(file: string | undefined, env: NodeJS.ProcessEnv = {}): CodedError {
  try {
    loadAgentConfig(file, env);
  } catch (error) {
    if (error instanceof CodedError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('agent configuration', () => {
  it('runs on embedded defaults with no file and no environment', () => {
    const config = loadAgentConfig(undefined, {});
    expect(config.sources.docker.enabled).toBe(true);
    expect(config.sources.files.paths).toContain('/var/log/messages');
    expect(config.spool.max_bytes).toBe('1GiB');
    expect(config.spool.fsync).toBe('interval');
    expect(config.elasticsearch).toBeUndefined();
    expect(config.redaction).toEqual({ secrets: 'mask', personal: 'pseudonymize' });
  });

  it('reads a complete file and fills what it leaves out', () => {
    const config = loadAgentConfig(fixture('agent-full.yml'), {});
    expect(config.host_name).toBe('app-01.bank.internal');
    expect(config.elasticsearch?.url).toHaveLength(2);
    expect(config.elasticsearch?.dataset).toBe('shiplog');
    expect(config.sources.docker.multiline?.max_lines).toBe(500);
    expect(config.spool.segment_bytes).toBe('64MiB');
  });

  it('freezes the result so no component can change it behind the others', () => {
    const config = loadAgentConfig(fixture('agent-full.yml'), {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.spool)).toBe(true);
  });

  it('rejects an unknown key, naming the key and the file', () => {
    const error = loadError(fixture('agent-misspelt-key.yml'));
    expect(error.code).toBe('SHIPLOG_ERR_CONFIG_INVALID');
    expect(error.message).toContain('"spool.fsync_intervall" unknown key');
    expect(error.message).toContain('agent-misspelt-key.yml');
  });

  it('names every bad value at once, with the allowed choices', () => {
    const error = loadError(fixture('agent-bad-values.yml'));
    expect(error.message).toContain('"log_level" must be one of fatal, error, warn, info, debug, trace');
    expect(error.message).toContain('"spool.fsync" must be one of always, interval, never');
    expect(error.message).toContain('"spool.max_bytes"');
    expect(error.message).toContain('"elasticsearch.url" is required');
    expect(error.message).toContain('"elasticsearch.batch_events"');
  });

  it('reports YAML syntax errors and duplicate keys with the file name', () => {
    const broken = loadError(fixture('agent-broken-yaml.yml'));
    expect(broken.code).toBe('SHIPLOG_ERR_CONFIG_PARSE');
    expect(broken.message).toContain('agent-broken-yaml.yml');
    const duplicate = loadError(fixture('agent-duplicate-key.yml'));
    expect(duplicate.code).toBe('SHIPLOG_ERR_CONFIG_PARSE');
  });

  it('says when the file cannot be read, with the reason', () => {
    expect(loadError('/nonexistent/shiplog.yml').message).toContain('ENOENT');
    const notADirectory = loadError('/etc/hostname/shiplog.yml');
    expect(notADirectory.code).toBe('SHIPLOG_ERR_CONFIG_UNREADABLE');
    expect(notADirectory.message).toContain('ENOTDIR');
  });

  it('rejects a file whose top level is not a mapping', () => {
    const dir = tempDir('shiplog-config-');
    const file = join(dir, 'list.yml');
    writeFileSync(file, '- a\n- b\n');
    expect(loadError(file).code).toBe('SHIPLOG_ERR_CONFIG_PARSE');
  });

  it('takes every setting from SHIPLOG_* variables too, over the file', () => {
    const config = loadAgentConfig(fixture('agent-full.yml'), {
      SHIPLOG_DATA_DIR: '/srv/shiplog',
      SHIPLOG_ELASTICSEARCH_URL: 'http://127.0.0.1:9200',
      SHIPLOG_SPOOL_MAX_BYTES: '4096',
      SHIPLOG_SOURCES_DOCKER_ENABLED: 'false',
      SHIPLOG_SOURCES_FILES_PATHS: '/var/log/a.log,/var/log/b.log',
    });
    expect(config.data_dir).toBe('/srv/shiplog');
    expect(config.elasticsearch?.url).toBe('http://127.0.0.1:9200');
    expect(config.elasticsearch?.username).toBe('shiplog_writer');
    expect(config.spool.max_bytes).toBe(4096);
    expect(config.sources.docker.enabled).toBe(false);
    expect(config.sources.files.paths).toEqual(['/var/log/a.log', '/var/log/b.log']);
  });

  it('names the environment variable when the bad value came from one', () => {
    const error = loadError(undefined, { SHIPLOG_SPOOL_FSYNC: 'sometimes' });
    expect(error.message).toContain('SHIPLOG_SPOOL_FSYNC');
    expect(error.message).toContain('from the environment');
  });

  it('prints secrets as [REDACTED] and hands their values to redaction', () => {
    const config = loadAgentConfig(fixture('agent-full.yml'), { SHIPLOG_ELASTICSEARCH_API_KEY: 'a2V5aWQ6c2VjcmV0' });
    const printed = JSON.stringify(printableAgentConfig(config));
    expect(printed).not.toContain('correct-horse-battery-staple');
    expect(printed).not.toContain('a2V5aWQ6c2VjcmV0');
    expect(printed).toContain('[REDACTED]');
    expect(printed).toContain('shiplog_writer');
    expect(agentConfigSecrets(config).sort()).toEqual(['a2V5aWQ6c2VjcmV0', 'correct-horse-battery-staple']);
  });
});
