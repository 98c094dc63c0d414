// Names in the cluster: one index per tenant, `<index_prefix>-<tenant>`, and
// inside it documents named `<generation>.<sequence>` plus one control
// document (control.ts). A tenant name is checked again here, right before it
// becomes part of an index name, so that no request can name an index that
// is not one tenant's: slugs have no dots, commas, stars or upper case, which
// are what index expressions and wildcards are made of.
//
// Hit ids are `<tenant>.<generation>.<sequence>`: they name their tenant, so
// an id from one tenant's search never reads another tenant's index.
import { isTenantName } from '../../access/tenant-name.ts';

/** What an index prefix may be: lower case, no characters that index expressions give meaning to. */
const PREFIX = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** The id of each tenant index's control document (event ids are digits and a dot). */
export const CONTROL_ID = 'control';

/** Largest sequence number within one generation (the sort key packs it into 31 bits). */
export const MAX_SEQ = 0x7fffffff;
/** Largest generation number per tenant (gen * 2^31 + seq stays an exact JSON number). */
export const MAX_GEN = 0x3fffff;

export function checkIndexPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix) || prefix.includes('..')) {
    throw new TypeError(
      `index_prefix ${JSON.stringify(prefix)} cannot start Elasticsearch index names: use lower-case letters, digits, "-", "_" and "." (not first)`,
    );
  }
  return prefix;
}

/** The index of one tenant; the name is checked before it becomes part of an index name. */
export function tenantIndex(prefix: string, tenant: string): string {
  if (!isTenantName(tenant)) {
    throw new TypeError(`"${String(tenant)}" is not a tenant name (lower-case letters, digits, "-" and "_")`);
  }
  return `${prefix}-${tenant}`;
}

/** The index pattern every tenant index matches (for the index template). */
export function indexPattern(prefix: string): string {
  return `${prefix}-*`;
}

/** The tenant an index of this prefix belongs to, or undefined when it is no tenant index. */
export function tenantOfIndex(prefix: string, index: string): string | undefined {
  if (!index.startsWith(`${prefix}-`)) return undefined;
  const tenant = index.slice(prefix.length + 1);
  return isTenantName(tenant) ? tenant : undefined;
}

/** The document id of an event: its generation and its sequence in that generation's write. */
export function documentId(gen: number, seq: number): string {
  return `${gen}.${seq}`;
}

/** The value events sort by after time and tenant: unique within a tenant, in write order. */
export function orderKey(gen: number, seq: number): number {
  return gen * (MAX_SEQ + 1) + seq;
}

export function hitId(tenant: string, gen: number, seq: number): string {
  return `${tenant}.${gen}.${seq}`;
}

export function parseHitId(id: unknown): { tenant: string; gen: number; seq: number } | undefined {
  if (typeof id !== 'string') return undefined;
  const m = /^([a-z0-9][a-z0-9_-]{0,62})\.([1-9][0-9]{0,6})\.([1-9][0-9]{0,9})$/.exec(id);
  if (!m) return undefined;
  const gen = Number(m[2]);
  const seq = Number(m[3]);
  if (gen > MAX_GEN || seq > MAX_SEQ) return undefined;
  return { tenant: m[1] as string, gen, seq };
}

/** The generation and sequence of an event document id, or undefined for any other document. */
export function parseDocumentId(id: string): { gen: number; seq: number } | undefined {
  const m = /^([1-9][0-9]{0,6})\.([1-9][0-9]{0,9})$/.exec(id);
  return m ? { gen: Number(m[1]), seq: Number(m[2]) } : undefined;
}
