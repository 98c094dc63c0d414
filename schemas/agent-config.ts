// The agent's configuration (YAML file and SHIPLOG_* environment variables).
// Every key is optional: the defaults below are the embedded defaults that
// `shiplog agent` runs on with no configuration at all.
import { type Static, Type } from '@sinclair/typebox';
import { FACILITY_NAMES } from '../agent/parsers/syslog-5424.ts';
import { ByteSize, Duration, Secret, Strict } from './common.ts';

const Opt = Type.Optional;

export const MultilineSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal('auto'), Type.Literal('off'), Type.Literal('pattern')], {
      default: 'auto',
      description:
        'auto joins the stack traces of Java, Go, Python, Node.js, Ruby, PHP, C# and Dart; pattern uses start_pattern',
    }),
    start_pattern: Opt(Type.String({ description: 'A line matching this starts a new event (mode: pattern)' })),
    flush_after: Duration('2s', 'Emit a pending event after this long without a continuation'),
    max_lines: Type.Integer({ minimum: 1, default: 500 }),
    max_bytes: ByteSize('1MiB', 'A merged event is cut and flagged truncated past this size'),
  },
  { ...Strict, default: {} },
);

export const DockerSourceSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Follow every container through the Docker Engine API' }),
    host: Opt(Type.String({ description: 'Engine address; defaults to DOCKER_HOST, then /var/run/docker.sock' })),
    include: Type.Array(Type.String(), {
      default: [],
      description: 'Container names or ids to follow; empty means all',
    }),
    exclude: Type.Array(Type.String(), { default: [], description: 'Container names or ids never to follow' }),
    labels: Type.Array(Type.String(), {
      default: ['com.docker.compose.*', 'org.opencontainers.image.*'],
      description: 'Label keys (globs) copied into container.labels',
    }),
    max_line_bytes: ByteSize('1MiB', 'Reassembled partial lines are cut and flagged past this size'),
    max_inflight_bytes: ByteSize(
      '16MiB',
      "Bytes read from all containers' log streams and not yet spooled, at most; past it the streams pause (dockerd keeps the lines)",
    ),
    multiline: MultilineSchema,
  },
  { ...Strict, default: {} },
);

export const FileSourceSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    paths: Type.Array(Type.String(), {
      default: ['/var/log/messages', '/var/log/secure', '/var/log/syslog', '/var/log/auth.log'],
      description: 'Files or globs to tail; rotated siblings (*.1, *.gz) are read when catching up',
    }),
    exclude: Type.Array(Type.String(), { default: [] }),
    timezone: Type.String({ default: 'local', description: 'Zone for timestamps that carry none (RFC 3164)' }),
    read_rotated_gz: Type.Boolean({ default: true }),
    max_line_bytes: ByteSize('1MiB', 'Lines are cut and flagged past this size'),
    multiline: MultilineSchema,
  },
  { ...Strict, default: {} },
);

const Listen = (what: string) =>
  Opt(Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^:\\s]*):[0-9]{1,5}$', description: `HOST:PORT to ${what}` }));

export const SyslogSourceSchema = Type.Object(
  {
    udp: Type.Object(
      {
        listen: Listen('receive RFC 5426 datagrams on (one message each)'),
        receive_buffer: ByteSize('8MiB', 'Kernel receive buffer asked for (capped by net.core.rmem_max)'),
      },
      { ...Strict, default: {} },
    ),
    tcp: Type.Object(
      { listen: Listen('accept RFC 6587 connections on (octet counting or LF framing, per connection)') },
      { ...Strict, default: {} },
    ),
    tls: Type.Object(
      {
        listen: Listen('accept RFC 5425 TLS connections on (6514 is the standard port)'),
        cert_file: Opt(Type.String({ description: 'PEM server certificate (with its chain)' })),
        key_file: Opt(Type.String({ description: 'PEM private key of cert_file' })),
        client_ca_file: Opt(
          Type.String({ description: 'PEM CA bundle; when set, every client must present a certificate it signed' }),
        ),
      },
      { ...Strict, default: {} },
    ),
    timezone: Type.String({ default: 'local', description: 'Zone for timestamps that carry none (RFC 3164)' }),
    max_message_bytes: ByteSize('64KiB', 'Longer messages are cut there and flagged truncated'),
    max_connections: Type.Integer({ minimum: 1, default: 1024, description: 'TCP and TLS connections at once, each' }),
    idle_timeout: Duration('10m', 'A TCP or TLS connection that sends nothing for this long is closed'),
    multiline: MultilineSchema,
  },
  { ...Strict, default: {} },
);

export const SpoolSchema = Type.Object(
  {
    max_bytes: ByteSize('1GiB', 'Disk the spool may use; sources pause when it is full'),
    segment_bytes: ByteSize('64MiB', 'Size of one spool segment file'),
    max_age: Duration('7d', 'Undelivered records older than this are dropped and counted'),
    history: Duration('3d', 'Delivered records are kept this long for support bundles'),
    fsync: Type.Union([Type.Literal('always'), Type.Literal('interval'), Type.Literal('never')], {
      default: 'interval',
    }),
    fsync_interval: Duration('500ms', 'With fsync: interval, how often to flush to disk'),
  },
  { ...Strict, default: {} },
);

export const TlsClientSchema = Type.Object(
  {
    ca: Opt(Type.String({ description: 'PEM file of the CA that signed the server certificate' })),
    cert: Opt(Type.String({ description: 'PEM client certificate, for mutual TLS' })),
    key: Opt(Type.String({ description: 'PEM client key, for mutual TLS' })),
    verify: Type.Boolean({
      default: true,
      description: 'Verify the server certificate (never turn off in production)',
    }),
  },
  Strict,
);

// The Elasticsearch sink's TLS settings: the common ones plus a pinned CA.
export const ElasticsearchTlsSchema = Type.Object(
  {
    ...TlsClientSchema.properties,
    ca_fingerprint: Opt(
      Type.String({
        pattern: '^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$',
        description:
          "SHA-256 fingerprint (hex, colons optional) of the CA certificate that signed the cluster's HTTP certificate: that CA is trusted without a CA file (with tls.ca too, it must also match)",
      }),
    ),
  },
  Strict,
);

export const ElasticsearchSinkSchema = Type.Object(
  {
    url: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })], {
      description: 'One or more node URLs; setting this turns the sink on',
    }),
    dataset: Type.String({ default: 'shiplog', pattern: '^[a-z0-9_.]+$' }),
    namespace: Type.String({ default: 'default', pattern: '^[a-z0-9_.]+$' }),
    username: Opt(Type.String()),
    password: Secret('Basic-auth password'),
    api_key: Secret(
      'API key: the encoded form Elasticsearch returns (base64 of id:key), or id:key; sent as Authorization: ApiKey',
    ),
    tls: Opt(ElasticsearchTlsSchema),
    batch_bytes: ByteSize('5MiB', 'Largest bulk request body'),
    batch_events: Type.Integer({ minimum: 1, default: 2000 }),
    flush_after: Duration('1s', 'Send a partial batch after this long'),
    concurrency: Type.Integer({ minimum: 1, maximum: 8, default: 2 }),
    compression: Type.Boolean({ default: true, description: 'gzip bulk bodies (level 1: fast, most of the saving)' }),
    dead_letter: Type.Boolean({ default: true, description: 'Write rejected events to a local dead-letter file' }),
  },
  Strict,
);

export const SyslogForwardSchema = Type.Object(
  {
    address: Type.String({
      pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^:\\s]+):[0-9]{1,5}$',
      description: "HOST:PORT of the customer's SIEM or syslog relay; setting this turns the forward on",
    }),
    transport: Type.Union([Type.Literal('tcp'), Type.Literal('tls'), Type.Literal('udp')], {
      default: 'tcp',
      description: 'tcp (RFC 6587), tls (RFC 5425, port 6514 by convention) or udp (RFC 5426: no delivery promise)',
    }),
    format: Type.Union([Type.Literal('rfc5424'), Type.Literal('rfc3164')], {
      default: 'rfc5424',
      description: 'rfc5424 carries the container in structured data; rfc3164 for receivers that know nothing newer',
    }),
    framing: Type.Union([Type.Literal('octet_counting'), Type.Literal('newline')], {
      default: 'octet_counting',
      description:
        'TCP and TLS framing: octet_counting keeps multi-line events whole; newline writes line feeds inside an event as #012',
    }),
    facility: Type.Union(
      FACILITY_NAMES.map((name) => Type.Literal(name)),
      { default: 'user', description: 'Facility of events that did not arrive by syslog with their own' },
    ),
    sd_id: Type.String({
      default: 'shiplog@32473',
      pattern: '^[!#-<>-\\\\^-~]{1,32}$',
      description:
        "SD-ID of the element carrying container and event id (32473 is RFC 5612's example number; use your own)",
    }),
    max_message_bytes: ByteSize('64KiB', 'Longer messages are cut there and flagged with a truncated parameter'),
    confirm_after: Duration(
      '250ms',
      'TCP and TLS: a batch counts as delivered once the connection has stood this long after writing it',
    ),
    tls: Opt(
      Type.Object(
        {
          ca: Opt(Type.String({ description: 'PEM file of the CA that signed the receiver certificate' })),
          cert: Opt(Type.String({ description: 'PEM client certificate, for receivers that require one' })),
          key: Opt(Type.String({ description: 'PEM key of cert' })),
          server_name: Opt(
            Type.String({ description: 'Name to verify the receiver certificate against; default the host' }),
          ),
          verify: Type.Boolean({
            default: true,
            description: 'Verify the receiver certificate (never turn off in production)',
          }),
        },
        Strict,
      ),
    ),
    batch_events: Type.Integer({ minimum: 1, default: 5000 }),
    batch_bytes: ByteSize('4MiB', 'Most bytes read from the spool at once'),
    concurrency: Type.Integer({
      minimum: 1,
      maximum: 16,
      default: 8,
      description: 'Batches written and awaiting confirmation at once',
    }),
  },
  Strict,
);

export const StatusServerSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    listen: Type.String({ default: '127.0.0.1:9465', description: 'host:port for /health and /metrics' }),
  },
  { ...Strict, default: {} },
);

export const RedactionSettingsSchema = Type.Object(
  {
    rules: Opt(Type.String({ description: 'Operator rule file (YAML or JSON)' })),
    secrets: Type.Union([Type.Literal('mask'), Type.Literal('pseudonymize'), Type.Literal('keep')], {
      default: 'mask',
    }),
    personal: Type.Union([Type.Literal('mask'), Type.Literal('pseudonymize'), Type.Literal('keep')], {
      default: 'pseudonymize',
    }),
  },
  { ...Strict, default: {} },
);

export const BundleSettingsSchema = Type.Object(
  {
    recipient: Opt(Type.String({ description: "The vendor's age public key (age1...)" })),
    since: Duration('24h', 'Default time window of a bundle'),
    max_size: ByteSize('200MB', 'Compressed byte budget of a bundle'),
  },
  { ...Strict, default: {} },
);

export const AgentConfigSchema = Type.Object(
  {
    data_dir: Opt(Type.String({ description: 'Spool, checkpoints and keys; default /var/lib/shiplog as root' })),
    host_name: Opt(Type.String({ description: 'host.name on every event; default the OS host name' })),
    host_root: Opt(
      Type.String({
        description:
          "Where the host's root file system is mounted (e.g. /host in the container image); bundles read host facts under it",
      }),
    ),
    log_level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((level) => Type.Literal(level)),
      { default: 'info' },
    ),
    sources: Type.Object(
      {
        docker: DockerSourceSchema,
        files: FileSourceSchema,
        syslog: SyslogSourceSchema,
      },
      { ...Strict, default: {} },
    ),
    spool: SpoolSchema,
    elasticsearch: Opt(ElasticsearchSinkSchema),
    syslog_forward: Opt(SyslogForwardSchema),
    status: StatusServerSchema,
    redaction: RedactionSettingsSchema,
    bundle: BundleSettingsSchema,
  },
  { ...Strict, $id: 'https://shiplog.dev/schemas/agent-config.schema.json' },
);

export type AgentConfig = Static<typeof AgentConfigSchema>;
export type ElasticsearchSinkConfig = Static<typeof ElasticsearchSinkSchema>;
export type SyslogForwardConfig = Static<typeof SyslogForwardSchema>;
export type SpoolConfig = Static<typeof SpoolSchema>;
export type MultilineConfig = Static<typeof MultilineSchema>;
export type SyslogSourceConfig = Static<typeof SyslogSourceSchema>;
