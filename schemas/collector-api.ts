// The collector's JSON API (/api/v1): what each route takes and answers. The
// HTTP layer validates requests and serializes answers with these schemas,
// the web pages and `shiplog upload` read the same shapes, and the published
// JSON Schema (schemas/json/collector-api.schema.json) is for other tools.
import { type Static, Type } from '@sinclair/typebox';

const Str = Type.String();
const Opt = Type.Optional;

export const ErrorAnswerSchema = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable COLLECTOR_ERR_* code (docs/errors.md)' }),
    message: Str,
  }),
});

export const BundleStatusSchema = Type.Union(
  ['received', 'verifying', 'indexing', 'indexed', 'rejected', 'quarantined', 'deleted'].map((s) => Type.Literal(s)),
);

export const ReceiptSchema = Type.Object({
  id: Str,
  sha256: Str,
  size: Type.Integer(),
  received_at: Str,
  tenant: Str,
  collector_key: Type.String({ description: 'SHA256: fingerprint of the collector key that signed' }),
  signed: Type.String({ description: 'The exact JSON text that was signed' }),
  signature: Type.String({ description: 'Armored SSH signature (namespace shiplog-receipt) over `signed`' }),
});

export const UploadAnswerSchema = Type.Object({
  id: Str,
  sha256: Str,
  size: Type.Integer(),
  status: BundleStatusSchema,
  /** False when the same bytes were received before: the existing bundle is answered. */
  created: Type.Boolean(),
  receipt: ReceiptSchema,
});

export const BundleAnswerSchema = Type.Object({
  id: Str,
  tenant: Str,
  status: BundleStatusSchema,
  error: Opt(Type.Object({ code: Str, message: Str })),
  sha256: Str,
  size: Type.Integer(),
  received_at: Str,
  original_name: Opt(Str),
  site: Opt(Str),
  created_at: Opt(Type.String({ description: 'When the bundle was built (manifest.created_at)' })),
  signer: Opt(Str),
  encrypted: Opt(Type.Boolean()),
  lines: Opt(Type.Integer()),
  indexed_at: Opt(Str),
});

export const BundleListAnswerSchema = Type.Object({ bundles: Type.Array(BundleAnswerSchema) });

export const SearchQuerySchema = Type.Object({
  q: Type.String({ default: '', maxLength: 4096, description: 'The query language (docs/collector.md)' }),
  tenant: Opt(Type.String({ description: 'Only this tenant (of those the token may read)' })),
  site: Opt(Str),
  bundle: Opt(Str),
  container: Opt(Str),
  service: Opt(Str),
  stream: Opt(Str),
  level: Opt(Str),
  source: Opt(Str),
  from: Opt(Type.String({ description: 'RFC 3339, inclusive' })),
  to: Opt(Type.String({ description: 'RFC 3339, exclusive' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Opt(Type.String({ maxLength: 2048 })),
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
  buckets: Type.Integer({ minimum: 1, maximum: 500, default: 60 }),
  fields: Opt(Type.String({ description: 'Facets: comma-separated filter fields' })),
  size: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
});

/** A hit: the event's ECS fields nested as the agent emits them, and the same fields flattened with dots. */
export const HitSchema = Type.Object(
  {
    id: Str,
    tenant: Str,
    bundle: Str,
    '@timestamp': Str,
    message: Str,
    highlight: Type.Array(Type.Tuple([Type.Integer(), Type.Integer()]), {
      description: 'Character ranges [start, end) of matches in message',
    }),
  },
  { additionalProperties: true },
);

export const SearchAnswerSchema = Type.Object({
  total: Type.Integer(),
  hits: Type.Array(HitSchema),
  next: Opt(Type.String({ description: 'Cursor of the next page; absent on the last' })),
});

export const HistogramAnswerSchema = Type.Object({
  interval_ms: Type.Integer(),
  buckets: Type.Array(Type.Object({ start: Str, count: Type.Integer() })),
});

export const FacetsAnswerSchema = Type.Record(Str, Type.Array(Type.Object({ value: Str, count: Type.Integer() })));

export const ContextAnswerSchema = Type.Object({ hits: Type.Array(HitSchema) });

export const SessionAnswerSchema = Type.Object({
  csrf: Opt(Type.String({ description: 'Send back in X-CSRF-Token with every change (portal sessions only)' })),
  expires_at: Opt(Str),
  token_id: Str,
  role: Type.Union(['upload', 'read', 'admin', 'staff'].map((role) => Type.Literal(role))),
  tenant: Type.Union([Str, Type.Null()], { description: "The token's tenant; '*' for a global admin; null for staff" }),
  global_admin: Type.Boolean(),
  readable: Type.Array(Str, { description: 'Tenants it may read' }),
  administers: Type.Array(Str, { description: 'Tenants it may administer' }),
  uploads_to: Type.Union([Str, Type.Null()], { description: 'The tenant its uploads go to, when it has one' }),
  max_upload_bytes: Type.Integer(),
});

export const FileListAnswerSchema = Type.Object({
  available: Type.Boolean({ description: 'False until the bundle is indexed (or when it was refused)' }),
  files: Type.Array(
    Type.Object({ path: Str, size: Type.Integer(), collector: Opt(Str), redactions: Opt(Type.Integer()) }),
  ),
});

export const TextPageAnswerSchema = Type.Object({
  path: Str,
  size: Type.Integer(),
  first: Type.Integer({ description: 'The first line asked for (1-based)' }),
  binary: Type.Boolean(),
  lines: Type.Array(
    Type.Object({
      n: Type.Integer(),
      text: Str,
      cut: Opt(Type.Literal(true, { description: 'The line goes on past 65,536 characters' })),
    }),
  ),
  next: Opt(Type.Integer({ description: 'The first line of the next page' })),
});

export const SiteListAnswerSchema = Type.Object({
  sites: Type.Array(
    Type.Object({ tenant: Str, site: Str, bundles: Type.Integer(), last_created_at: Type.Union([Str, Type.Null()]) }),
  ),
});

const Changed = Type.Object({ key: Str, title: Str, severity: Str });

/** One container of a bundle, from its inspect.json, as the bundle and site pages and the analyzers read it. */
export const ContainerFactsSchema = Type.Object({
  name: Str,
  id: Opt(Str),
  image: Opt(Str),
  state: Opt(Str),
  exit_code: Opt(Type.Integer()),
  restart_count: Opt(Type.Integer()),
  oom_killed: Opt(Type.Boolean()),
  health: Opt(Str),
  started_at: Opt(Str),
  finished_at: Opt(Str),
});

export const SiteHistoryAnswerSchema = Type.Object({
  tenant: Str,
  site: Str,
  bundles: Type.Array(
    Type.Intersect([
      BundleAnswerSchema,
      Type.Object({
        shiplog_version: Opt(Str),
        docker_version: Opt(Str),
        containers: Type.Array(ContainerFactsSchema),
        findings: Type.Integer({ description: 'Findings the bundle has (new or still present)' }),
      }),
    ]),
  ),
  changes: Type.Array(
    Type.Object({
      from: Type.String({ description: 'The earlier bundle of the pair' }),
      bundle: Str,
      versions: Type.Array(
        Type.Object({
          what: Type.Union([Type.Literal('shiplog'), Type.Literal('docker')]),
          before: Opt(Str),
          after: Opt(Str),
        }),
      ),
      containers: Type.Array(
        Type.Object({
          name: Str,
          change: Type.Union(['added', 'gone', 'image', 'restarts', 'state'].map((kind) => Type.Literal(kind))),
          before: Opt(Type.Union([Str, Type.Number()])),
          after: Opt(Type.Union([Str, Type.Number()])),
        }),
      ),
      findings_new: Type.Array(Changed),
      findings_resolved: Type.Array(Changed),
    }),
  ),
});

export const TenantListAnswerSchema = Type.Object({
  default_retention: Type.String({ description: 'The collector-wide retention setting' }),
  tenants: Type.Array(
    Type.Object({ name: Str, created_at: Str, retention_days: Type.Union([Type.Integer(), Type.Null()]) }),
  ),
});

export const TokenSchema = Type.Object({
  id: Str,
  role: Str,
  tenant: Type.Union([Str, Type.Null()]),
  tenants: Type.Array(Str),
  label: Type.Union([Str, Type.Null()]),
  created_at: Str,
  expires_at: Type.Union([Str, Type.Null()]),
  revoked_at: Type.Union([Str, Type.Null()]),
  last_used_at: Type.Union([Str, Type.Null()]),
  state: Type.Union(['active', 'expired', 'revoked'].map((state) => Type.Literal(state))),
});

export const CollectorApiSchema = Type.Object(
  {
    error: ErrorAnswerSchema,
    upload: UploadAnswerSchema,
    bundle: BundleAnswerSchema,
    bundles: BundleListAnswerSchema,
    search_query: SearchQuerySchema,
    search: SearchAnswerSchema,
    histogram: HistogramAnswerSchema,
    facets: FacetsAnswerSchema,
    context: ContextAnswerSchema,
    session: SessionAnswerSchema,
    files: FileListAnswerSchema,
    text_page: TextPageAnswerSchema,
    sites: SiteListAnswerSchema,
    site_history: SiteHistoryAnswerSchema,
    tenants: TenantListAnswerSchema,
    token: TokenSchema,
    container_facts: ContainerFactsSchema,
  },
  {
    $id: 'https://shiplog.dev/schemas/collector-api.schema.json',
    description: 'The shapes of the collector API (/api/v1), one property per request or answer kind',
  },
);

export type UploadAnswer = Static<typeof UploadAnswerSchema>;
export type BundleAnswer = Static<typeof BundleAnswerSchema>;
export type SearchQuery = Static<typeof SearchQuerySchema>;
export type Hit = Static<typeof HitSchema>;
export type SessionAnswer = Static<typeof SessionAnswerSchema>;
export type FileListAnswer = Static<typeof FileListAnswerSchema>;
export type TextPageAnswer = Static<typeof TextPageAnswerSchema>;
export type SiteListAnswer = Static<typeof SiteListAnswerSchema>;
export type SiteHistoryAnswer = Static<typeof SiteHistoryAnswerSchema>;
export type TenantListAnswer = Static<typeof TenantListAnswerSchema>;
export type TokenAnswer = Static<typeof TokenSchema>;
export type SearchAnswer = Static<typeof SearchAnswerSchema>;
export type ContainerFacts = Static<typeof ContainerFactsSchema>;
export type HistogramAnswer = Static<typeof HistogramAnswerSchema>;
