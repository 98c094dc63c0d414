// Portal sessions: what a browser holds after signing in with a token. The
// cookie carries a random session secret; control.db keeps only its SHA-256,
// the id of the token it was opened with and the session's CSRF token. Every
// request re-checks that token (principalOfToken), so revoking or expiring
// the token ends its sessions at once. A session lasts 12 hours from sign-in,
// whatever it does meanwhile: a night shift, then a fresh sign-in.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';

export const sessionLifetimeMs = 12 * 60 * 60 * 1000;

export const sessionsMigration = `
  CREATE TABLE sessions (
    hash TEXT PRIMARY KEY,            -- SHA-256 of the cookie's secret; the secret itself is never stored
    token_id TEXT NOT NULL REFERENCES tokens (id),
    csrf TEXT NOT NULL,               -- sent back by the pages in X-CSRF-Token on every change
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX sessions_expires ON sessions (expires_at);
`;

export interface Session {
  readonly tokenId: string;
  readonly csrf: string;
  readonly expiresAt: string;
}

export interface NewSession extends Session {
  /** The cookie's value; shown to the browser once. */
  readonly secret: string;
}

const secretPattern = /^[A-Za-z0-9_-]{43}$/;

export function openSession(db: DatabaseSync, tokenId: string, now: Date = new Date()): NewSession {
  db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now.toISOString());
  const secret = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + sessionLifetimeMs).toISOString();
  db.prepare('INSERT INTO sessions (hash, token_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
    hash(secret),
    tokenId,
    csrf,
    now.toISOString(),
    expiresAt,
  );
  return { secret, tokenId, csrf, expiresAt };
}

/** The live session a cookie names, or undefined (unknown, malformed or past its time). */
export function findSession(db: DatabaseSync, secret: string, now: Date = new Date()): Session | undefined {
  if (!secretPattern.test(secret)) return undefined;
  const row = db
    .prepare('SELECT token_id, csrf, expires_at FROM sessions WHERE hash = ? AND expires_at > ?')
    .get(hash(secret), now.toISOString()) as { token_id: string; csrf: string; expires_at: string } | undefined;
  return row && { tokenId: row.token_id, csrf: row.csrf, expiresAt: row.expires_at };
}

export function closeSession(db: DatabaseSync, secret: string): void {
  if (secretPattern.test(secret)) db.prepare('DELETE FROM sessions WHERE hash = ?').run(hash(secret));
}

/** Does the header's value equal the session's CSRF token? Compared in constant time. */
export function csrfMatches(session: Session, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(session.csrf);
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function hash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
