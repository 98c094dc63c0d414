// The agent's configuration (YAML file and SHIPLOG_* environment variables).
// Every key is optional: the defaults below are the embedded defaults that
// `shiplog agent` runs on with no configuration at all.
import { type Static, Type } from '@sinclair/typebox';
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

export const ElasticsearchSinkSchema = Type.Object(
  {
    url: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })], {
      description: 'One or more node URLs; setting this turns the sink on',
    }),
    dataset: Type.String({ default: 'shiplog', pattern: '^[a-z0-9_.]+$' }),
    namespace: Type.String({ default: 'default', pattern: '^[a-z0-9_.]+$' }),
    username: Opt(Type.String()),
    password: Secret('Basic-auth password'),
    api_key: Secret('API key (base64 id:key), sent as Authorization: ApiKey'),
    tls: Opt(TlsClientSchema),
    batch_bytes: ByteSize('5MiB', 'Largest bulk request body'),
    batch_events: Type.Integer({ minimum: 1, default: 2000 }),
    flush_after: Duration('1s', 'Send a partial batch after this long'),
    concurrency: Type.Integer({ minimum: 1, maximum: 8, default: 2 }),
    compression: Type.Boolean({ default: true, description: 'gzip bulk bodies (level 1: fast, most of the saving)' }),
    dead_letter: Type.Boolean({ default: true, description: 'Write rejected events to a local dead-letter file' }),
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
    status: StatusServerSchema,
    redaction: RedactionSettingsSchema,
    bundle: BundleSettingsSchema,
  },
  { ...Strict, $id: 'https://shiplog.dev/schemas/agent-config.schema.json' },
);

export type AgentConfig = Static<typeof AgentConfigSchema>;
export type ElasticsearchSinkConfig = Static<typeof ElasticsearchSinkSchema>;
export type SpoolConfig = Static<typeof SpoolSchema>;
export type MultilineConfig = Static<typeof MultilineSchema>;
export type SyslogSourceConfig = Static<typeof SyslogSourceSchema>;
