import { describe, expect, it } from 'vitest';
import { agentErrors } from '../../../agent/errors.ts';
import { CodedError, isCodedError } from '../../../core/coded-error.ts';

describe('CodedError', () => {
  it('fills the registry template and keeps the code and details', () => {
    const error = new CodedError(agentErrors.CONFIG_UNREADABLE, { path: '/etc/shiplog.yml', detail: 'ENOENT' });
    expect(error.code).toBe('SHIPLOG_ERR_CONFIG_UNREADABLE');
    expect(error.message).toContain('/etc/shiplog.yml');
    expect(error.message).toContain('ENOENT');
    expect(error.permanent).toBe(true);
    expect(isCodedError(error)).toBe(true);
    expect(isCodedError(new Error('plain'))).toBe(false);
  });

  it('leaves a placeholder visible rather than printing "undefined" when a detail is missing', () => {
    const error = new CodedError(agentErrors.CONFIG_UNREADABLE, { path: '/x' });
    expect(error.message).toContain('{detail}');
    expect(error.message).not.toContain('undefined');
  });
});
