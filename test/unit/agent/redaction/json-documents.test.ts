// JSON documents redacted by structure as well as by field name: Docker
// config auths, Kubernetes Secret manifests and name/value environment lists.
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../../agent/redaction/index.ts';

const redactor = createRedactor({ siteKey: Buffer.alloc(32, 1) });

describe('JSON documents', () => {
  it('mask the auth of each registry in a Docker config.json and keep the rest', () => {
    const { value } = redactor.redactJson({
      auths: { 'registry.bank.internal:5000': { auth: 'Y2k6UmVnIXN0cnlQdzE=' }, 'quay.io': {} },
      credsStore: 'desktop',
    });
    expect(value).toEqual({
      auths: { 'registry.bank.internal:5000': { auth: '[REDACTED:docker-config-auth]' }, 'quay.io': {} },
      credsStore: 'desktop',
    });
  });

  it('mask every value under a Kubernetes Secret data, whatever its key, and leave a ConfigMap alone', () => {
    const secret = redactor.redactJson({
      kind: 'Secret',
      metadata: { name: 'ledger-db' },
      data: { username: 'bGVkZ2Vy', 'tls.key': 'ZXhhbXBsZQ==' },
      stringData: { 'config.yaml': 'user: app' },
    }).value;
    expect(secret.data).toEqual({
      username: '[REDACTED:kubernetes-secret-data]',
      'tls.key': '[REDACTED:kubernetes-secret-data]',
    });
    expect(secret.stringData).toEqual({ 'config.yaml': '[REDACTED:kubernetes-secret-data]' });
    expect(secret.metadata).toEqual({ name: 'ledger-db' });
    const configMap = { kind: 'ConfigMap', data: { username: 'bGVkZ2Vy', 'app.conf': 'level=info' } };
    expect(redactor.redactJson(configMap).value).toEqual(configMap);
  });

  it('mask the value of a name/value pair whose name is secret', () => {
    const { value } = redactor.redactJson({
      env: [
        { name: 'DB_PASSWORD', value: 'hunter2' },
        { name: 'LOG_LEVEL', value: 'info' },
      ],
    });
    expect(value.env).toEqual([
      { name: 'DB_PASSWORD', value: '[REDACTED:secret-assignment]' },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
  });

  it('leave counts under short keys such as pass alone', () => {
    const { value } = redactor.redactJson({ pass: 3, fail: 0, db_pass: 'x1' });
    expect(value).toEqual({ pass: 3, fail: 0, db_pass: '[REDACTED:short-password-assignment]' });
  });
});
