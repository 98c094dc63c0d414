// The agent's error registry. Every error the agent raises on purpose has a
// stable code here; callers and tests match on `.code`, never on the message.
// A test (test/unit/agent/errors.test.ts) pins this table: changing a code is
// a breaking change for operators' alerting and scripts.

import type { ErrorSpec } from '../core/coded-error.ts';

export const agentErrors = {
  CONFIG_INVALID: {
    code: 'SHIPLOG_ERR_CONFIG_INVALID',
    message: 'configuration {source} is invalid: {detail}. Fix the named setting and start again.',
    permanent: true,
  },
  CONFIG_UNREADABLE: {
    code: 'SHIPLOG_ERR_CONFIG_UNREADABLE',
    message: 'cannot read configuration file {path}: {detail}. Check the path and its permissions.',
    permanent: true,
  },
  CONFIG_PARSE: {
    code: 'SHIPLOG_ERR_CONFIG_PARSE',
    message: 'configuration file {path} is not valid YAML: {detail}.',
    permanent: true,
  },
  USAGE: {
    code: 'SHIPLOG_ERR_USAGE',
    message: '{detail}. Run "shiplog --help" for the commands and their options.',
    permanent: true,
  },
  // elasticsearch sink
  SINK_ES_TLS_FILE: {
    code: 'SHIPLOG_ERR_SINK_ES_TLS_FILE',
    message:
      '{setting} ({path}) cannot be used: {detail}. Point tls.ca at the PEM certificate of the CA that signed the cluster, and tls.cert and tls.key at a PEM client certificate and its unencrypted private key.',
    permanent: true,
  },
  SINK_ES_UNREACHABLE: {
    code: 'SHIPLOG_ERR_SINK_ES_UNREACHABLE',
    message: 'Elasticsearch at {url} did not answer: {detail}. Events stay in the spool and are sent once it answers.',
    permanent: false,
  },
  SINK_ES_AUTH: {
    code: 'SHIPLOG_ERR_SINK_ES_AUTH',
    message: 'Elasticsearch at {url} refused {credentials} ({detail}). {advice}; events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_ES_FORBIDDEN: {
    code: 'SHIPLOG_ERR_SINK_ES_FORBIDDEN',
    message:
      'Elasticsearch at {url} does not allow {principal} to {action}: {detail}. Give it a role with the cluster privileges monitor and manage_index_templates and the index privileges create_doc and auto_configure on {pattern} (docs/agent.md); events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_ES_HTTPS_REQUIRED: {
    code: 'SHIPLOG_ERR_SINK_ES_HTTPS_REQUIRED',
    message:
      'Elasticsearch at {url} closed the connection without an answer, and that port speaks HTTPS: write https:// in elasticsearch.url, with elasticsearch.tls.ca (or tls.ca_fingerprint) for the CA that signed the cluster; events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_ES_TLS_UNTRUSTED: {
    code: 'SHIPLOG_ERR_SINK_ES_TLS_UNTRUSTED',
    message:
      'the certificate of Elasticsearch at {url} is not trusted ({detail}): {advice}. Events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_ES_TLS_FINGERPRINT: {
    code: 'SHIPLOG_ERR_SINK_ES_TLS_FINGERPRINT',
    message:
      "no certificate that Elasticsearch at {url} presented has the SHA-256 fingerprint in elasticsearch.tls.ca_fingerprint ({expected}); it presented {presented}. Set ca_fingerprint to the fingerprint of the cluster's HTTP CA certificate (openssl x509 -noout -fingerprint -sha256 -in http_ca.crt), or check that {url} is the cluster you mean. Events stay in the spool meanwhile.",
    permanent: false,
  },
  SINK_ES_TLS_HOSTNAME: {
    code: 'SHIPLOG_ERR_SINK_ES_TLS_HOSTNAME',
    message:
      "the certificate of Elasticsearch at {url} is not issued for {host} ({detail}). Use a name the certificate lists in elasticsearch.url, or reissue the cluster's HTTP certificate with {host} in its subjectAltName. Events stay in the spool meanwhile.",
    permanent: false,
  },
  SINK_ES_TLS_CLIENT_CERT_MISSING: {
    code: 'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_MISSING',
    message:
      'Elasticsearch at {url} requires a client certificate ({detail}) and none is configured. Set elasticsearch.tls.cert and elasticsearch.tls.key to a certificate and key signed by a CA the cluster trusts (its xpack.security.http.ssl.certificate_authorities) and restart the agent; events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_ES_TLS_CLIENT_CERT_EXPIRED: {
    code: 'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_EXPIRED',
    message:
      'Elasticsearch at {url} refused the client certificate {path} (elasticsearch.tls.cert): it {validity} ({detail}). Renew it, point elasticsearch.tls.cert and elasticsearch.tls.key at the new files and restart the agent; events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_ES_TLS_CLIENT_CERT_REFUSED: {
    code: 'SHIPLOG_ERR_SINK_ES_TLS_CLIENT_CERT_REFUSED',
    message:
      'Elasticsearch at {url} refused the client certificate {path} (elasticsearch.tls.cert, issued by {issuer}) although it is within its dates ({detail}). The cluster accepts only client certificates signed by a CA in its xpack.security.http.ssl.certificate_authorities: use a certificate one of them signed, or add the CA that signed this one there; events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_ES_TLS_HANDSHAKE: {
    code: 'SHIPLOG_ERR_SINK_ES_TLS_HANDSHAKE',
    message:
      'the TLS handshake with Elasticsearch at {url} failed ({detail}). {advice}; events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_ES_TEMPLATE: {
    code: 'SHIPLOG_ERR_SINK_ES_TEMPLATE',
    message: 'Elasticsearch rejected the index template for {dataStream}: {detail}.',
    permanent: false,
  },
  SINK_ES_REJECTED: {
    code: 'SHIPLOG_ERR_SINK_ES_REJECTED',
    message: 'Elasticsearch rejected {count} event(s) for good ({detail}); they were written to {path}.',
    permanent: true,
  },
  // syslog forward sink
  SINK_SYSLOG_UNREACHABLE: {
    code: 'SHIPLOG_ERR_SINK_SYSLOG_UNREACHABLE',
    message:
      'cannot reach the syslog receiver at {address} over {transport}: {detail}. Events stay in the spool and are sent once it answers.',
    permanent: false,
  },
  SINK_SYSLOG_CONNECTION_LOST: {
    code: 'SHIPLOG_ERR_SINK_SYSLOG_CONNECTION_LOST',
    message:
      'the connection to the syslog receiver at {address} ended with {count} event(s) not yet confirmed ({detail}); they are sent again, so the receiver may see some of them twice (same event_id).',
    permanent: false,
  },
  SINK_SYSLOG_TLS: {
    code: 'SHIPLOG_ERR_SINK_SYSLOG_TLS',
    message:
      'TLS with the syslog receiver at {address} failed: {detail}. Check syslog_forward.tls (ca, cert, key, server_name); events stay in the spool meanwhile.',
    permanent: false,
  },
  SINK_SYSLOG_TLS_FILE: {
    code: 'SHIPLOG_ERR_SINK_SYSLOG_TLS_FILE',
    message: 'cannot read syslog_forward.tls.{setting} file {path}: {detail}. Point it at a readable PEM file.',
    permanent: true,
  },
  // redaction
  REDACTION_RULES_UNREADABLE: {
    code: 'SHIPLOG_ERR_REDACTION_RULES_UNREADABLE',
    message: 'cannot read redaction rules {path}: {detail}. Check the path (redaction.rules) and its permissions.',
    permanent: true,
  },
  REDACTION_RULES_INVALID: {
    code: 'SHIPLOG_ERR_REDACTION_RULES_INVALID',
    message: 'redaction rules {path} are invalid: {detail}. Fix the named key and start again.',
    permanent: true,
  },
  REDACTION_RULE_COMPILE: {
    code: 'SHIPLOG_ERR_REDACTION_RULE_COMPILE',
    message: 'redaction rule "{rule}" in {path} does not compile ({field}: {detail}). Fix that regex and start again.',
    permanent: true,
  },
  REDACTION_SITE_KEY: {
    code: 'SHIPLOG_ERR_REDACTION_SITE_KEY',
    message: 'cannot use the pseudonym site key {path}: {detail}. {advice}',
    permanent: true,
  },
  REDACTION_IO: {
    code: 'SHIPLOG_ERR_REDACTION_IO',
    message: 'cannot {operation} {path}: {detail}. Check the path and its permissions.',
    permanent: true,
  },
  // agent runtime
  DATA_DIR_UNUSABLE: {
    code: 'SHIPLOG_ERR_DATA_DIR_UNUSABLE',
    message:
      'cannot use the data directory {path}: {detail}. Run as a user who may write there, or set SHIPLOG_DATA_DIR to another directory.',
    permanent: true,
  },
  AGENT_NOT_RUNNING: {
    code: 'SHIPLOG_ERR_AGENT_NOT_RUNNING',
    message:
      'no shiplog agent answers at {address} ({detail}). Start it with "shiplog agent", or pass the --config it runs with.',
    permanent: false,
  },
  // spool
  SPOOL_LOCKED: {
    code: 'SHIPLOG_ERR_SPOOL_LOCKED',
    message:
      'the spool in {dir} is in use by another running shiplog agent (pid {pid}). Stop that agent, or give this one its own data directory with SHIPLOG_DATA_DIR.',
    permanent: true,
  },
  SPOOL_IO: {
    code: 'SHIPLOG_ERR_SPOOL_IO',
    message:
      'cannot use the spool in {dir}: {detail}. Check free disk space and the permissions of the data directory.',
    permanent: false,
  },
  SPOOL_CLOSED: {
    code: 'SHIPLOG_ERR_SPOOL_CLOSED',
    message: 'the spool is closed, so nothing more can be appended or read; this happens while the agent shuts down.',
    permanent: true,
  },
  CHECKPOINT_IO: {
    code: 'SHIPLOG_ERR_CHECKPOINT_IO',
    message:
      'cannot save the checkpoint {path}: {detail}. Check free disk space and the permissions of the data directory.',
    permanent: false,
  },
  // docker_logs
  DOCKER_UNREACHABLE: {
    code: 'SHIPLOG_ERR_DOCKER_UNREACHABLE',
    message:
      'cannot reach the Docker engine at {host}: {detail}. Check that dockerd is running and that shiplog may open its socket (mount the /var/run directory, not the socket file); shiplog keeps retrying.',
    permanent: false,
  },
  DOCKER_LOGS_UNREADABLE: {
    code: 'SHIPLOG_ERR_DOCKER_LOGS_UNREADABLE',
    message:
      'the logs of container {container} could not be read: {detail}. A container started with --rm can be removed before its logs are read; the lines it wrote are then lost.',
    permanent: true,
  },
  DOCKER_LOG_DRIVER_UNSUPPORTED: {
    code: 'SHIPLOG_ERR_DOCKER_LOG_DRIVER_UNSUPPORTED',
    message:
      'container {container} uses a log driver that the Docker API cannot read back ({detail}). Use the json-file, local or journald driver, or keep dual logging on (do not set cache-disabled).',
    permanent: true,
  },
  DOCKER_LOGS_ROTATED_AWAY: {
    code: 'SHIPLOG_ERR_DOCKER_LOGS_ROTATED_AWAY',
    message:
      "the Docker engine no longer holds the logs of container {container} between {from}, the last line read, and {to}, the oldest it still has: the log driver rotated them away (max-file) while the agent was stopped, and any lines written in between are lost; the engine does not say how many. Raise the container's max-size or max-file, or keep the agent running.",
    permanent: true,
  },
  DOCKER_LOGS_STREAM: {
    code: 'SHIPLOG_ERR_DOCKER_LOGS_STREAM',
    message:
      'the Docker engine sent a log stream that shiplog cannot parse ({detail}). Report this with the output of "docker version"; shiplog reconnects and counts what it could not read.',
    permanent: true,
  },
  // file source
  FILE_UNREADABLE: {
    code: 'SHIPLOG_ERR_FILE_UNREADABLE',
    message:
      'cannot read {path}: {detail}. Check that the agent may read the file and its directory; the other files are still tailed and this one is retried.',
    permanent: false,
  },
  FILE_ROTATED_AWAY: {
    code: 'SHIPLOG_ERR_FILE_ROTATED_AWAY',
    message:
      '{path}: at least {bytes} byte(s) of {file} from byte {offset} on were lost before they were read: {detail}. Keep more rotations (logrotate "rotate"), or use rename rotation instead of copytruncate, so the agent can keep up.',
    permanent: true,
  },
  FILE_LOST_WHILE_STOPPED: {
    code: 'SHIPLOG_ERR_FILE_LOST_WHILE_STOPPED',
    message:
      '{path}: at least {bytes} byte(s) of {file} from byte {offset} on were never read ({detail}). Keep more rotations (logrotate "rotate") than the agent can be stopped for, or keep it running.',
    permanent: true,
  },
  FILE_TIMEZONE_INVALID: {
    code: 'SHIPLOG_ERR_FILE_TIMEZONE_INVALID',
    message:
      'sources.files.timezone "{zone}" is not a time zone this system knows. Use "local" or an IANA name such as "Europe/Zurich".',
    permanent: true,
  },
  // syslog listener
  SYSLOG_LISTEN: {
    code: 'SHIPLOG_ERR_SYSLOG_LISTEN',
    message:
      'cannot receive syslog on {listen} ({protocol}): {detail}. Set sources.syslog.{protocol}.listen to a free port on an address of this host (ports below 1024 need root or CAP_NET_BIND_SERVICE).',
    permanent: true,
  },
  SYSLOG_TLS_FILE: {
    code: 'SHIPLOG_ERR_SYSLOG_TLS_FILE',
    message:
      'sources.syslog.tls.{setting} {path} cannot be used: {detail}. Point it at a readable PEM file; TLS syslog needs cert_file and key_file, and client_ca_file to require client certificates.',
    permanent: true,
  },
  SYSLOG_TIMEZONE_INVALID: {
    code: 'SHIPLOG_ERR_SYSLOG_TIMEZONE_INVALID',
    message:
      'sources.syslog.timezone "{zone}" is not a time zone this system knows. Use "local" or an IANA name such as "Europe/Zurich".',
    permanent: true,
  },
  MULTILINE_PATTERN_INVALID: {
    code: 'SHIPLOG_ERR_MULTILINE_PATTERN_INVALID',
    message:
      'multiline start_pattern "{pattern}" cannot be used: {detail}. Give a JavaScript regular expression, or use mode: auto.',
    permanent: true,
  },
  // ship
  SHIP_UNREADABLE: {
    code: 'SHIPLOG_ERR_SHIP_UNREADABLE',
    message: 'cannot read {path}: {detail}. Check the path and its permissions; files before it were shipped.',
    permanent: true,
  },
  SHIP_TIMEOUT: {
    code: 'SHIPLOG_ERR_SHIP_TIMEOUT',
    message:
      'gave up: {target} acknowledged nothing for {timeout} (last error: {detail}). {acknowledged} event(s) were acknowledged and {shipped} of {files} file(s) are fully shipped; left: {left}. Nothing was lost: the files are untouched, and running the same command again ships the rest (events already stored keep their ids and are stored once). Check that the cluster is reachable, or allow more time with --timeout.',
    permanent: false,
  },
  // bundle collectors
  COLLECTOR_TIMEOUT: {
    code: 'SHIPLOG_ERR_COLLECTOR_TIMEOUT',
    message:
      'the {collector} collector did not finish within {timeout_ms} ms and was abandoned; the bundle holds what the other collectors found. Run "shiplog dump" again if this part is needed.',
    permanent: false,
  },
  COLLECTOR_FAILED: {
    code: 'SHIPLOG_ERR_COLLECTOR_FAILED',
    message: 'the {collector} collector failed: {detail}. The bundle holds what the other collectors found.',
    permanent: false,
  },
  COLLECTOR_SKIPPED: {
    code: 'SHIPLOG_ERR_COLLECTOR_SKIPPED',
    message: 'the {collector} collector was skipped: {detail}.',
    permanent: true,
  },
  // bundle
  BUNDLE_SIGNING_KEY: {
    code: 'SHIPLOG_ERR_BUNDLE_SIGNING_KEY',
    message:
      'cannot use the bundle-signing key {path}: {detail}. Check the permissions of the data directory; delete the key files only if this host has never sent a bundle, as the vendor trusts this key.',
    permanent: true,
  },
  BUNDLE_RECIPIENT: {
    code: 'SHIPLOG_ERR_BUNDLE_RECIPIENT',
    message:
      'the bundle recipient "{recipient}" is not an age public key ({detail}). Use the "age1..." key the vendor gave you (bundle.recipient or --recipient).',
    permanent: true,
  },
  BUNDLE_WRITE: {
    code: 'SHIPLOG_ERR_BUNDLE_WRITE',
    message:
      'cannot write the bundle {path}: {detail}. Check free disk space and permissions; no partial bundle was left.',
    permanent: true,
  },
  BUNDLE_UNREADABLE: {
    code: 'SHIPLOG_ERR_BUNDLE_UNREADABLE',
    message: 'cannot read {path}: {detail}. Check the path and its permissions.',
    permanent: true,
  },
  BUNDLE_NOT_A_BUNDLE: {
    code: 'SHIPLOG_ERR_BUNDLE_NOT_A_BUNDLE',
    message: '{path} is not a shiplog support bundle: {detail}.',
    permanent: true,
  },
  BUNDLE_DECRYPT: {
    code: 'SHIPLOG_ERR_BUNDLE_DECRYPT',
    message: 'cannot decrypt {path}: {detail}.',
    permanent: true,
  },
  BUNDLE_TRUNCATED: {
    code: 'SHIPLOG_ERR_BUNDLE_TRUNCATED',
    message:
      '{path} is incomplete: {detail}. It was cut short while being written or copied; copy it again or ask for it again.',
    permanent: true,
  },
  BUNDLE_UNSAFE_ENTRY: {
    code: 'SHIPLOG_ERR_BUNDLE_UNSAFE_ENTRY',
    message:
      '{path} contains an entry that a shiplog bundle never has ({entry}: {detail}). Do not unpack it; ask the sender for a new bundle.',
    permanent: true,
  },
  BUNDLE_MANIFEST_INVALID: {
    code: 'SHIPLOG_ERR_BUNDLE_MANIFEST_INVALID',
    message: 'the manifest of {path} is missing or invalid: {detail}. Ask the sender for a new bundle.',
    permanent: true,
  },
  BUNDLE_UNSIGNED: {
    code: 'SHIPLOG_ERR_BUNDLE_UNSIGNED',
    message:
      '{path} is not signed ({detail}), so nothing shows who built it or that it is unchanged. Ask the sender for a new bundle.',
    permanent: true,
  },
  BUNDLE_BAD_SIGNATURE: {
    code: 'SHIPLOG_ERR_BUNDLE_BAD_SIGNATURE',
    message:
      'the signature of {path} does not match its manifest ({detail}): the bundle was changed after it was signed. Do not trust its contents.',
    permanent: true,
  },
  BUNDLE_WRONG_SIGNER: {
    code: 'SHIPLOG_ERR_BUNDLE_WRONG_SIGNER',
    message:
      '{path} was signed by key {fingerprint}, which {detail}. Check with the site which host built it before trusting it.',
    permanent: true,
  },
  BUNDLE_SIGNER_INVALID: {
    code: 'SHIPLOG_ERR_BUNDLE_SIGNER_INVALID',
    message:
      'cannot use --signer {signer}: {detail}. Give an OpenSSH public key file, an allowed_signers file, or a SHA256: fingerprint.',
    permanent: true,
  },
  BUNDLE_LIMIT: {
    code: 'SHIPLOG_ERR_BUNDLE_LIMIT',
    message:
      '{path} would cost more to read than any real bundle does: {detail}. It was refused before it could use up memory or time; ask the sender for a new bundle.',
    permanent: true,
  },
  BUNDLE_TAMPERED: {
    code: 'SHIPLOG_ERR_BUNDLE_TAMPERED',
    message:
      '{path} does not match its signed manifest: {detail}. The bundle was damaged or changed after it was built; do not trust its contents.',
    permanent: true,
  },
  // dump
  DUMP_RESCAN_FOUND: {
    code: 'SHIPLOG_ERR_DUMP_RESCAN_FOUND',
    message:
      'the final check found {count} unredacted value(s), first in {path} (rule {rule}); no bundle was released. Add an operator rule for it (redaction.rules) or report it to the vendor, and run "shiplog dump" again.',
    permanent: true,
  },
  DUMP_OUT_EXISTS: {
    code: 'SHIPLOG_ERR_DUMP_OUT_EXISTS',
    message:
      '{path} already exists, and shiplog dump replaces a file only when asked; nothing was written there. Pass --force to replace it, or give --out a new path ("--out -" writes the bundle to standard output).',
    permanent: true,
  },
  DUMP_OUT_NOT_A_FILE: {
    code: 'SHIPLOG_ERR_DUMP_OUT_NOT_A_FILE',
    message:
      '{path} is {kind}, and shiplog dump writes its bundle only to a regular file: it never puts one in place of a directory, FIFO, socket, device or symbolic link, not even with --force. Give --out the path of a new file, or "--out -" to write the bundle to standard output (for example "--out - > FILE" or "--out - | ssh HOST ...").',
    permanent: true,
  },
  DUMP_NO_SPACE: {
    code: 'SHIPLOG_ERR_DUMP_NO_SPACE',
    message:
      'the file system holding {path} is full ({detail}), so no bundle was released; every temporary file of this run was removed. {advice}',
    permanent: false,
  },
  DUMP_INTERRUPTED: {
    code: 'SHIPLOG_ERR_DUMP_INTERRUPTED',
    message:
      'shiplog dump was stopped by {signal} before the bundle was released; every temporary file of this run was removed. Run "shiplog dump" again to build one.',
    permanent: false,
  },
  DUMP_WINDOW: {
    code: 'SHIPLOG_ERR_DUMP_WINDOW',
    message:
      '{detail}. Give --since and --until as a duration such as 24h or 90m, or a time such as 2026-11-25T03:00:00Z.',
    permanent: true,
  },
  // upload
  UPLOAD_NO_TOKEN: {
    code: 'SHIPLOG_ERR_UPLOAD_NO_TOKEN',
    message:
      'no upload token: {detail}. Put the token the vendor gave you (it starts with "slc_") in the SHIPLOG_UPLOAD_TOKEN variable, or in a file only you can read and pass --token-file FILE; shiplog never takes a token on the command line.',
    permanent: true,
  },
  UPLOAD_TOKEN_REFUSED: {
    code: 'SHIPLOG_ERR_UPLOAD_TOKEN_REFUSED',
    message:
      'the portal at {url} refused the upload token ({detail}). Ask the vendor for a current upload token for your site, then run "shiplog upload {bundle} {url}" again with it.',
    permanent: true,
  },
  UPLOAD_TOO_LARGE: {
    code: 'SHIPLOG_ERR_UPLOAD_TOO_LARGE',
    message:
      '{bundle} ({size}) is larger than the portal at {url} accepts ({detail}). Build a smaller bundle with "shiplog dump --max-size SIZE", or ask the vendor to raise the limit.',
    permanent: true,
  },
  UPLOAD_UNREACHABLE: {
    code: 'SHIPLOG_ERR_UPLOAD_UNREACHABLE',
    message:
      'cannot reach the portal at {url} ({detail}); gave up after {attempts} attempts, with {sent} of {size} on the portal. When the network is back, run "shiplog upload {bundle} {url}" again: it goes on from where it stopped.',
    permanent: false,
  },
  UPLOAD_NOT_A_BUNDLE: {
    code: 'SHIPLOG_ERR_UPLOAD_NOT_A_BUNDLE',
    message:
      '{bundle} is not a support bundle ({detail}). Upload the .tar.gz, .tar.zst or .age file that "shiplog dump" wrote, unchanged.',
    permanent: true,
  },
  UPLOAD_UNREADABLE: {
    code: 'SHIPLOG_ERR_UPLOAD_UNREADABLE',
    message: 'cannot read {bundle}: {detail}. Give the path of the bundle file that "shiplog dump" wrote.',
    permanent: true,
  },
  UPLOAD_REFUSED: {
    code: 'SHIPLOG_ERR_UPLOAD_REFUSED',
    message:
      "the portal at {url} refused the upload: {detail}. Check that the URL is the address of the vendor's portal (such as https://portal.example.com); if it is, send this message to the vendor.",
    permanent: true,
  },
  UPLOAD_MISMATCH: {
    code: 'SHIPLOG_ERR_UPLOAD_MISMATCH',
    message:
      'the portal received other bytes than {bundle} holds (SHA-256 {received} there, {expected} here), so no receipt was kept. Run "shiplog upload {bundle} {url}" again to send the file anew.',
    permanent: false,
  },
} as const satisfies Record<string, ErrorSpec>;

export type AgentErrorName = keyof typeof agentErrors;
