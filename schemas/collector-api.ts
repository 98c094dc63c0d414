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
