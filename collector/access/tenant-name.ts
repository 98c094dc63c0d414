// The tenant name rule. A tenant's name becomes a file name (index/<tenant>.db)
// and a directory name (unpacked/<tenant>/), so this one pattern is what keeps
// one customer's data from being written beside, or over, another's: no dots,
// no slashes, no upper case (case-insensitive file systems), bounded length.
import { CodedError } from '../../core/coded-error.ts';
import { collectorErrors } from '../errors.ts';

const tenantNamePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function isTenantName(value: unknown): value is string {
  return typeof value === 'string' && tenantNamePattern.test(value);
}

/** Returns `name` when it is a tenant name; throws COLLECTOR_ERR_TENANT_NAME_INVALID otherwise. */
export function checkTenantName(name: unknown): string {
  if (isTenantName(name)) return name;
  throw new CodedError(collectorErrors.TENANT_NAME_INVALID, { name: quoted(name) });
}

/** Text from outside, fit for an error message: quoted, escaped, bounded. */
export function quoted(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  const json = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
  // JSON escapes C0 controls; C1 controls (CSI is U+009B) can steer a terminal too.
  return json.replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
