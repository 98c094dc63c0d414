// Who is acting, and what each role may do. A request's principal is built
// from the token the server looked up, never from what the client says, and
// every permission question goes through `allows`, one pure function: the
// roles table in docs/collector.md is this function.
import { userInfo } from 'node:os';
import { CodedError } from '../../core/coded-error.ts';
import { collectorErrors } from '../errors.ts';
import { isTenantName } from './tenant-name.ts';

export const roles = ['upload', 'read', 'admin', 'staff'] as const;
export type Role = (typeof roles)[number];

/** A token's tenant that stands for every tenant (global admin only). */
export const everyTenant = '*';

export type Ability = 'upload' | 'read' | 'admin';

/** What a token was issued for. */
export interface Grant {
  readonly role: Role;
  /** The tenant it acts for; '*' for a global admin; null for staff. */
  readonly tenant: string | null;
  /** Staff: the tenants it may read. Empty for the other roles. */
  readonly tenants: readonly string[];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

export function isGlobalAdmin(grant: Grant): boolean {
  return grant.role === 'admin' && grant.tenant === everyTenant;
}

/**
 * May `grant` do `ability` on `tenant`? `tenant` '*' asks about every tenant
 * at once (creating tenants, staff and global tokens, the audit entries of no
 * tenant): only a global admin may. A string that is neither '*' nor a tenant
 * name is allowed to nobody.
 */
export function allows(grant: Grant, ability: Ability, tenant: string): boolean {
  if (tenant === everyTenant) return isGlobalAdmin(grant);
  if (!isTenantName(tenant)) return false;
  if (isGlobalAdmin(grant)) return true;
  switch (grant.role) {
    case 'admin':
      return grant.tenant === tenant;
    case 'read':
      return ability === 'read' && grant.tenant === tenant;
    case 'upload':
      return ability === 'upload' && grant.tenant === tenant;
    case 'staff':
      return ability === 'read' && grant.tenants.includes(tenant);
    default:
      return false;
  }
}

/** A caller that presented a valid token. */
export interface Principal extends Grant {
  readonly kind: 'token';
  readonly tokenId: string;
  /** Tenants it may read; for a global admin, every tenant when the token was checked. */
  readonly readable: readonly string[];
  canUpload(tenant: string): boolean;
  canRead(tenant: string): boolean;
  canAdmin(tenant: string): boolean;
  /**
   * May it see this bundle's status? Readers of the tenant may; an upload
   * token may see what it uploaded itself, and nothing else.
   */
  canSeeUpload(bundle: { readonly tenant: string; readonly uploadedBy: string | null }): boolean;
}

/** The command line: whoever can open the control database may do everything. */
export interface CliActor {
  readonly kind: 'cli';
  readonly user: string;
}

export type Actor = Principal | CliActor;

export function makePrincipal(tokenId: string, grant: Grant, allTenants: () => readonly string[]): Principal {
  const fixed: Grant = { role: grant.role, tenant: grant.tenant, tenants: Object.freeze([...grant.tenants]) };
  let readable: readonly string[] = [];
  if (isGlobalAdmin(fixed)) readable = allTenants();
  else if (fixed.role === 'staff') readable = fixed.tenants;
  else if (fixed.tenant !== null && allows(fixed, 'read', fixed.tenant)) readable = [fixed.tenant];
  return Object.freeze({
    kind: 'token' as const,
    tokenId,
    ...fixed,
    readable: Object.freeze([...readable]),
    canUpload: (tenant: string) => allows(fixed, 'upload', tenant),
    canRead: (tenant: string) => allows(fixed, 'read', tenant),
    canAdmin: (tenant: string) => allows(fixed, 'admin', tenant),
    canSeeUpload: (bundle: { readonly tenant: string; readonly uploadedBy: string | null }) =>
      allows(fixed, 'read', bundle.tenant) || (allows(fixed, 'upload', bundle.tenant) && bundle.uploadedBy === tokenId),
  });
}

/** The command-line actor, named after the operating-system user running it. */
export function cliActor(user: string = osUser()): CliActor {
  return Object.freeze({ kind: 'cli' as const, user: printable(user) || 'unknown' });
}

/** How the audit log names an actor: 'token:tok_...' or 'cli:<user>'. */
export function actorName(actor: Actor): string {
  return actor.kind === 'cli' ? `cli:${actor.user}` : `token:${actor.tokenId}`;
}

/** May `actor` do `ability` on `tenant` ('*': on every tenant)? */
export function actorMay(actor: Actor, ability: Ability, tenant: string): boolean {
  if (actor.kind === 'cli') return tenant === everyTenant || isTenantName(tenant);
  return allows(actor, ability, tenant);
}

/** Throws COLLECTOR_ERR_FORBIDDEN unless `actor` may do `ability` on `tenant`; `action` says what was tried. */
export function requireAbility(actor: Actor, ability: Ability, tenant: string, action: string): void {
  if (!actorMay(actor, ability, tenant)) throw forbidden(actor, action);
}

export function forbidden(actor: Actor, action: string): CodedError {
  const role = actor.kind === 'cli' ? 'command-line' : isGlobalAdmin(actor) ? 'global admin' : actor.role;
  return new CodedError(collectorErrors.FORBIDDEN, { role, action });
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A uid with no passwd entry (common in containers).
    return process.env.USER || process.env.LOGNAME || `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

function printable(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, '').slice(0, 64);
}
