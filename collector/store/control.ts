// The control database (control.db): tenants, tokens, the audit log, bundles
// and their ingest jobs, and the pinned signing key of each site. One SQLite
// file in WAL mode, so `serve` and the commands run beside it (token, ingest,
// bundles) share it safely. Schema changes are numbered migrations, applied
// once each, in order, inside a transaction.
import type { DatabaseSync } from 'node:sqlite';
import { sessionsMigration } from '../access/sessions.ts';
import { findingsMigration } from '../analyze/store.ts';
import { openDatabase, transaction } from './database.ts';

const migrations: readonly string[] = [
  // 1: everything the first collector needs.
  `
  CREATE TABLE tenants (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    -- Days a bundle is kept; NULL means the collector's default (config retention).
    retention_days INTEGER
  ) STRICT;

  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,              -- public id (tok_...), shown in lists and the audit log
    hash TEXT NOT NULL UNIQUE,        -- SHA-256 of the secret token; the token itself is never stored
    role TEXT NOT NULL CHECK (role IN ('upload', 'read', 'admin', 'staff')),
    tenant TEXT NOT NULL,             -- the tenant it acts for; '*' for a global admin
    tenants TEXT,                     -- staff: JSON array of tenants it may read
    label TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT
  ) STRICT;

  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    token_id TEXT,                    -- NULL for the command line
    actor TEXT NOT NULL,              -- 'token:tok_...' or 'cli:<user>'
    tenant TEXT,                      -- the tenant acted on
    action TEXT NOT NULL,             -- upload, search, view, download, delete, token.create, ...
    target TEXT,                      -- bundle id, token id, query ...
    detail TEXT                       -- JSON
  ) STRICT;
  CREATE INDEX audit_tenant_at ON audit (tenant, at);

  CREATE TABLE bundles (
    id TEXT PRIMARY KEY,              -- per tenant: the same bytes from two tenants are two bundles
    tenant TEXT NOT NULL REFERENCES tenants (name),
    sha256 TEXT NOT NULL,             -- of the uploaded file, as stored in blobs/
    size INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    uploaded_by TEXT,                 -- token id, or 'cli'
    original_name TEXT,
    status TEXT NOT NULL CHECK (status IN ('received', 'verifying', 'indexing', 'indexed', 'rejected', 'quarantined', 'deleted')),
    error_code TEXT,
    error_message TEXT,
    site TEXT,                        -- host.name from the manifest, once verified
    created_at TEXT,                  -- manifest.created_at
    signer TEXT,                      -- fingerprint of the signing key
    encrypted INTEGER,
    lines INTEGER,
    manifest TEXT,                    -- manifest.json as verified (JSON)
    facts TEXT,                       -- structured documents: inspect, engine and host facts (JSON)
    receipt TEXT,                     -- the signed receipt given to the uploader (JSON)
    indexed_at TEXT,
    UNIQUE (tenant, sha256)
  ) STRICT;
  CREATE INDEX bundles_tenant_site ON bundles (tenant, site, created_at);

  CREATE TABLE jobs (
    bundle TEXT PRIMARY KEY REFERENCES bundles (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done')),
    attempts INTEGER NOT NULL DEFAULT 0,
    owner TEXT,                       -- pid@host of the process running it
    heartbeat_at TEXT,
    queued_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE site_keys (
    tenant TEXT NOT NULL REFERENCES tenants (name),
    site TEXT NOT NULL,
    fingerprint TEXT NOT NULL,        -- the pinned key
    public_key TEXT NOT NULL,
    pinned_at TEXT NOT NULL,
    pending_fingerprint TEXT,         -- a different key seen since; waits for an admin
    pending_public_key TEXT,
    pending_bundle TEXT,
    PRIMARY KEY (tenant, site)
  ) STRICT;
  `,
  // 2: the analyzers' findings per bundle.
  findingsMigration,
  // 3: portal sessions (browsers signed in with a token).
  sessionsMigration,
];

export function openControl(path: string): DatabaseSync {
  const db = openDatabase(path);
  migrate(db);
  return db;
}

function migrate(db: DatabaseSync): void {
  transaction(db, () => {
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    for (let next = version; next < migrations.length; next++) {
      db.exec(migrations[next] as string);
    }
    if (version < migrations.length) db.exec(`PRAGMA user_version = ${migrations.length}`);
  });
}
