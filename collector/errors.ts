// The collector's error registry: stable codes, advice-style messages and the
// HTTP status each maps to. Pinned by test/unit/errors.test.ts.

import type { ErrorSpec } from '../core/coded-error.ts';

export interface HttpErrorSpec extends ErrorSpec {
  readonly status: number;
}

export const collectorErrors = {
  CONFIG_INVALID: {
    code: 'COLLECTOR_ERR_CONFIG_INVALID',
    message: 'configuration {source} is invalid: {detail}. Fix the named setting and start again.',
    permanent: true,
    status: 500,
  },
  USAGE: {
    code: 'COLLECTOR_ERR_USAGE',
    message: '{detail}. Run "shiplog-collector --help" for the commands and their options.',
    permanent: true,
    status: 400,
  },
  UPLOAD_TOO_LARGE: {
    code: 'COLLECTOR_ERR_UPLOAD_TOO_LARGE',
    message:
      'the upload is larger than the {limit} this portal accepts. Split the bundle with "shiplog dump --max-size" or ask the vendor to raise the limit.',
    permanent: true,
    status: 413,
  },
  REQUEST_INVALID: {
    code: 'COLLECTOR_ERR_REQUEST_INVALID',
    message: 'the request is invalid: {detail}. See docs/collector.md for the API.',
    permanent: true,
    status: 400,
  },
  TOKEN_MISSING: {
    code: 'COLLECTOR_ERR_TOKEN_MISSING',
    message:
      'this request needs a token: send "Authorization: Bearer TOKEN" (an admin creates tokens with "shiplog-collector token create").',
    permanent: true,
    status: 401,
  },
  INTERNAL: {
    code: 'COLLECTOR_ERR_INTERNAL',
    message: 'the portal failed to answer this request; its log has the details.',
    permanent: false,
    status: 500,
  },
  UPLOAD_EMPTY: {
    code: 'COLLECTOR_ERR_UPLOAD_EMPTY',
    message: 'the upload has no body. Send the bundle file as the request body (curl --data-binary @FILE).',
    permanent: true,
    status: 400,
  },
  UPLOAD_NOT_A_BUNDLE: {
    code: 'COLLECTOR_ERR_UPLOAD_NOT_A_BUNDLE',
    message:
      'the upload is not a shiplog support bundle ({detail}). Send the .tar.gz, .tar.zst or .age file that "shiplog dump" wrote, unchanged.',
    permanent: true,
    status: 415,
  },
  UPLOAD_INTERRUPTED: {
    code: 'COLLECTOR_ERR_UPLOAD_INTERRUPTED',
    message:
      'the upload ended before the whole body arrived ({detail}). Send it again; "shiplog upload" resumes where it stopped.',
    permanent: false,
    status: 400,
  },
  UPLOAD_OFFSET_CONFLICT: {
    code: 'COLLECTOR_ERR_UPLOAD_OFFSET_CONFLICT',
    message:
      'the upload does not continue at the Upload-Offset this request gives. Ask for the offset with HEAD and send the rest from there ("shiplog upload" does this by itself).',
    permanent: false,
    status: 409,
  },
  UPLOAD_EXPIRED: {
    code: 'COLLECTOR_ERR_UPLOAD_EXPIRED',
    message:
      'this upload was not finished within 24 hours of its creation and is deleted. Start a new upload; "shiplog upload" does so by itself.',
    permanent: true,
    status: 410,
  },
  UPLOAD_FINISHED: {
    code: 'COLLECTOR_ERR_UPLOAD_FINISHED',
    message:
      'this upload is finished and became bundle {bundle}, so it can no longer be given up. An admin of the tenant deletes the bundle itself (DELETE /api/v1/bundles/{bundle}).',
    permanent: true,
    status: 409,
  },
  STORAGE: {
    code: 'COLLECTOR_ERR_STORAGE',
    message:
      "the portal could not store the upload ({detail}). Try again later; the portal's admin should check its disk.",
    permanent: false,
    status: 507,
  },
  NOT_FOUND: {
    code: 'COLLECTOR_ERR_NOT_FOUND',
    message: '{what} was not found (or this token may not see it).',
    permanent: true,
    status: 404,
  },
  QUERY_INVALID: {
    code: 'COLLECTOR_ERR_QUERY_INVALID',
    message: 'the search is invalid: {detail}. Correct the query (see "Search" in docs/collector.md) and try again.',
    permanent: true,
    status: 400,
  },
  INDEX_UNAVAILABLE: {
    code: 'COLLECTOR_ERR_INDEX_UNAVAILABLE',
    message: 'the index cannot be used ({detail}). Check the index backend the portal is configured with.',
    permanent: false,
    status: 503,
  },
  INGEST_FILE: {
    code: 'COLLECTOR_ERR_INGEST_FILE',
    message: 'cannot read {path}: {detail}. Give the path of a bundle file this user may read.',
    permanent: true,
    status: 400,
  },
  // The bundle-format problems, by the kind the shared reader reports (bundle/problems.ts).
  BUNDLE_UNREADABLE: {
    code: 'COLLECTOR_ERR_BUNDLE_UNREADABLE',
    message: 'the stored bundle cannot be read: {detail}.',
    permanent: false,
    status: 500,
  },
  BUNDLE_NOT_A_BUNDLE: {
    code: 'COLLECTOR_ERR_BUNDLE_NOT_A_BUNDLE',
    message: 'the upload is not a shiplog support bundle: {detail}.',
    permanent: true,
    status: 422,
  },
  BUNDLE_DECRYPT: {
    code: 'COLLECTOR_ERR_BUNDLE_DECRYPT',
    message:
      'the bundle cannot be decrypted: {detail}. The portal\'s admin must add the age identity the site encrypted to (config "identity").',
    permanent: true,
    status: 422,
  },
  BUNDLE_TRUNCATED: {
    code: 'COLLECTOR_ERR_BUNDLE_TRUNCATED',
    message: 'the bundle is incomplete: {detail}. Upload it again, or ask the site for a new copy.',
    permanent: true,
    status: 422,
  },
  BUNDLE_UNSAFE_ENTRY: {
    code: 'COLLECTOR_ERR_BUNDLE_UNSAFE_ENTRY',
    message:
      'the bundle holds an entry that a shiplog bundle never has ({entry}: {detail}); nothing of it was unpacked.',
    permanent: true,
    status: 422,
  },
  BUNDLE_MANIFEST_INVALID: {
    code: 'COLLECTOR_ERR_BUNDLE_MANIFEST_INVALID',
    message: "the bundle's manifest is missing or invalid: {detail}.",
    permanent: true,
    status: 422,
  },
  BUNDLE_UNSIGNED: {
    code: 'COLLECTOR_ERR_BUNDLE_UNSIGNED',
    message:
      'the bundle is not signed ({detail}), so nothing shows who built it. Ask the site for a bundle from "shiplog dump".',
    permanent: true,
    status: 422,
  },
  BUNDLE_BAD_SIGNATURE: {
    code: 'COLLECTOR_ERR_BUNDLE_BAD_SIGNATURE',
    message: "the bundle's signature does not hold ({detail}): it was changed after it was signed.",
    permanent: true,
    status: 422,
  },
  BUNDLE_WRONG_SIGNER: {
    code: 'COLLECTOR_ERR_BUNDLE_WRONG_SIGNER',
    message: 'the bundle was signed by {fingerprint}, which {detail}.',
    permanent: true,
    status: 422,
  },
  BUNDLE_TAMPERED: {
    code: 'COLLECTOR_ERR_BUNDLE_TAMPERED',
    message: 'the bundle does not match its signed manifest: {detail}. Do not trust its contents.',
    permanent: true,
    status: 422,
  },
  BUNDLE_LIMIT: {
    code: 'COLLECTOR_ERR_BUNDLE_LIMIT',
    message: 'the bundle would cost more to read than any real bundle does: {detail}.',
    permanent: true,
    status: 422,
  },
  SITE_KEY_CHANGED: {
    code: 'COLLECTOR_ERR_SITE_KEY_CHANGED',
    message:
      'the bundle from site {site} is signed by {fingerprint}, not by the key pinned for that site ({pinned}). It is quarantined: confirm with the site that its key changed, then accept the new key (POST /api/v1/site-keys/accept or the admin page).',
    permanent: true,
    status: 409,
  },
  SECRET_FOUND: {
    code: 'COLLECTOR_ERR_SECRET_FOUND',
    message:
      'the bundle still holds {count} secret(s), first in {file} line {line} (rule {rule}). It is quarantined and not indexed: delete it and ask the site for a new bundle made with a current shiplog.',
    permanent: true,
    status: 422,
  },
  INGEST_FAILED: {
    code: 'COLLECTOR_ERR_INGEST_FAILED',
    message: "ingest failed: {detail}. The job is retried on the next start; the portal's log has the details.",
    permanent: false,
    status: 500,
  },
  CONFIG_UNREADABLE: {
    code: 'COLLECTOR_ERR_CONFIG_UNREADABLE',
    message:
      'cannot read configuration file {path}: {detail}. Check the path and its permissions (it comes from --config or SHIPLOG_COLLECTOR_CONFIG).',
    permanent: true,
    status: 500,
  },
  CONFIG_PARSE: {
    code: 'COLLECTOR_ERR_CONFIG_PARSE',
    message: 'configuration file {path} is not valid YAML: {detail}. Fix the file and start again.',
    permanent: true,
    status: 500,
  },
  DATA_DIR_UNUSABLE: {
    code: 'COLLECTOR_ERR_DATA_DIR_UNUSABLE',
    message:
      'cannot use the data directory {path}: {detail}. Run as the user who owns it, or set SHIPLOG_COLLECTOR_DATA_DIR to a directory this user may write.',
    permanent: true,
    status: 500,
  },
  TENANT_NAME_INVALID: {
    code: 'COLLECTOR_ERR_TENANT_NAME_INVALID',
    message:
      '{name} is not a tenant name. Use 1 to 63 lower-case letters, digits, "-" or "_", starting with a letter or a digit (for example "acme-bank").',
    permanent: true,
    status: 400,
  },
  TENANT_NOT_FOUND: {
    code: 'COLLECTOR_ERR_TENANT_NOT_FOUND',
    message:
      'there is no tenant "{name}". "shiplog-collector tenant list" shows the tenants and "shiplog-collector tenant create" adds one.',
    permanent: true,
    status: 404,
  },
  TENANT_RETENTION_INVALID: {
    code: 'COLLECTOR_ERR_TENANT_RETENTION_INVALID',
    message:
      'the retention {value} is not a whole number of days from 1 to 36500. Give it in days or weeks, such as "90d" or "12w".',
    permanent: true,
    status: 400,
  },
  TOKEN_ROLE_INVALID: {
    code: 'COLLECTOR_ERR_TOKEN_ROLE_INVALID',
    message:
      'cannot create a token {detail}. Roles: upload, read or admin for one tenant (--tenant NAME), admin of every tenant (--tenant "*" --role admin), or staff reading named tenants (--role staff --tenants a,b).',
    permanent: true,
    status: 400,
  },
  TOKEN_OPTIONS_INVALID: {
    code: 'COLLECTOR_ERR_TOKEN_OPTIONS_INVALID',
    message: 'cannot create the token: {detail}. Correct the option and run the command again.',
    permanent: true,
    status: 400,
  },
  TOKEN_NOT_FOUND: {
    code: 'COLLECTOR_ERR_TOKEN_NOT_FOUND',
    message: 'there is no token {id}. "shiplog-collector token list" shows the ids of the tokens.',
    permanent: true,
    status: 404,
  },
  TOKEN_UNKNOWN: {
    code: 'COLLECTOR_ERR_TOKEN_UNKNOWN',
    message:
      'this portal does not know the token. Check that it was copied whole (it starts with "slc_"), or ask the portal\'s admin for a new one.',
    permanent: true,
    status: 401,
  },
  TOKEN_REVOKED: {
    code: 'COLLECTOR_ERR_TOKEN_REVOKED',
    message: "the token {id} was revoked at {at}. Ask the portal's admin for a new one.",
    permanent: true,
    status: 401,
  },
  TOKEN_EXPIRED: {
    code: 'COLLECTOR_ERR_TOKEN_EXPIRED',
    message: "the token {id} expired at {at}. Ask the portal's admin for a new one.",
    permanent: true,
    status: 401,
  },
  SESSION_ENDED: {
    code: 'COLLECTOR_ERR_SESSION_ENDED',
    message:
      'your portal session has ended (signed out, past its 12 hours, or its token was revoked). Sign in again with a token.',
    permanent: true,
    status: 401,
  },
  CSRF_REJECTED: {
    code: 'COLLECTOR_ERR_CSRF_REJECTED',
    message:
      'this change did not come from a page of this portal (its CSRF token is missing or wrong). Reload the page and try again.',
    permanent: true,
    status: 403,
  },
  FORBIDDEN: {
    code: 'COLLECTOR_ERR_FORBIDDEN',
    message:
      'a {role} token may not {action}. Use a token whose role allows it (see "Tenants, tokens and roles" in docs/collector.md), or ask an admin of the tenant for one.',
    permanent: true,
    status: 403,
  },
  AUDIT_QUERY_INVALID: {
    code: 'COLLECTOR_ERR_AUDIT_QUERY_INVALID',
    message: 'the audit log query is invalid: {detail}. Correct it and ask again.',
    permanent: true,
    status: 400,
  },
} as const satisfies Record<string, HttpErrorSpec>;

export type CollectorErrorName = keyof typeof collectorErrors;
