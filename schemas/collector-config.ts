// The vendor-side collector's configuration (YAML file and SHIPLOG_COLLECTOR_* variables).
import { type Static, Type } from '@sinclair/typebox';
import { ByteSize, Duration, Secret, Strict } from './common.ts';

const Opt = Type.Optional;

export const CollectorConfigSchema = Type.Object(
  {
    data_dir: Opt(Type.String({ description: 'Uploaded bundles, unpacked files and the SQLite index' })),
    listen: Type.String({
      default: '0.0.0.0:8080',
      description: 'host:port of the portal and API; "serve --port N" overrides the port',
    }),
    public_url: Opt(Type.String({ description: 'URL customers upload to, shown in instructions' })),
    tls: Opt(
      Type.Object(
        {
          cert: Type.String(),
          key: Type.String(),
          client_ca: Opt(Type.String({ description: 'Require client certificates signed by this CA' })),
        },
        Strict,
      ),
    ),
    upload: Type.Object(
      {
        max_bytes: ByteSize('4GiB', 'Largest bundle accepted'),
        max_unpacked_bytes: ByteSize('20GiB', 'Largest total size a bundle may unpack to'),
        max_files: Type.Integer({ minimum: 1, default: 100_000 }),
      },
      { ...Strict, default: {} },
    ),
    identity: Opt(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description:
          "File(s) holding the vendor's age identities, to decrypt bundles; several for key rotation (comma-separated in the variable)",
      }),
    ),
    index: Type.Object(
      {
        backend: Type.Union([Type.Literal('sqlite'), Type.Literal('elasticsearch')], { default: 'sqlite' }),
        elasticsearch: Opt(
          Type.Object(
            {
              url: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })]),
              username: Opt(Type.String()),
              password: Secret('Basic-auth password'),
              api_key: Secret('API key'),
              index_prefix: Type.String({ default: 'shiplog-bundles' }),
            },
            Strict,
          ),
        ),
      },
      { ...Strict, default: {} },
    ),
    retention: Duration('90d', 'Bundles older than this are deleted with their index entries'),
    analysis: Type.Object(
      {
        known_issues: Opt(
          Type.String({
            description:
              'The known-issue rules file (docs/analyzers.md), reloaded when it changes; default <data dir>/known-issues.yaml',
          }),
        ),
      },
      { ...Strict, default: {} },
    ),
    log_level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((level) => Type.Literal(level)),
      { default: 'info' },
    ),
  },
  { ...Strict, $id: 'https://shiplog.dev/schemas/collector-config.schema.json' },
);

export type CollectorConfig = Static<typeof CollectorConfigSchema>;
