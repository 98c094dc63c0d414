// The parts of an index request both backends check alike, before any
// work, with the same QueryError messages: the HTTP layer answers 400 the
// same way whichever backend runs.
import { isTenantName } from '../access/tenant-name.ts';
import { type FilterField, filterFields, QueryError, type SearchFilters } from './types.ts';

export const MAX_LIMIT = 1000;
export const MAX_CONTEXT = 1000;

/** The tenants, checked, without duplicates, sorted. */
export function checkTenants(tenants: readonly string[]): string[] {
  if (!Array.isArray(tenants) || tenants.length === 0) throw new QueryError('at least one tenant must be searched', 0);
  for (const tenant of tenants) {
    if (!isTenantName(tenant)) throw new QueryError(`"${String(tenant)}" is not a tenant name`, 0);
  }
  return [...new Set(tenants)].sort();
}

export function checkWhole(name: string, value: unknown, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new QueryError(`${name} must be a whole number from ${min} to ${max}, not ${String(value)}`, 0);
  }
  return value as number;
}

export function checkOrder(order: unknown): 'asc' | 'desc' {
  const value = order ?? 'asc';
  if (value !== 'asc' && value !== 'desc') throw new QueryError(`order must be "asc" or "desc"`, 0);
  return value;
}

export function checkFacetFields(fields: unknown): FilterField[] {
  if (!Array.isArray(fields)) throw new QueryError('fields must be a list of field names', 0);
  for (const field of fields) {
    if (!(filterFields as readonly string[]).includes(field)) {
      throw new QueryError(`"${String(field)}" is not a field; the fields are ${filterFields.join(', ')}`, 0);
    }
  }
  return [...new Set(fields as FilterField[])];
}

/** The filters, checked (lists of strings, from/to strings), with empty lists dropped. */
export function checkFilters(filters: SearchFilters | undefined): SearchFilters {
  const out: Record<string, unknown> = {};
  if (filters === undefined || filters === null) return out;
  if (typeof filters !== 'object') throw new QueryError('filters must be an object', 0);
  for (const [name, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    if (name === 'from' || name === 'to') {
      if (typeof value !== 'string') throw new QueryError(`filters.${name} must be an RFC 3339 time`, 0);
      out[name] = value;
    } else if ((filterFields as readonly string[]).includes(name) && name !== 'file') {
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
        throw new QueryError(`filters.${name} must be a list of values`, 0);
      }
      if (value.length > 0) out[name] = [...value];
    } else {
      throw new QueryError(`"${name}" is not a filter`, 0);
    }
  }
  return out as SearchFilters;
}
