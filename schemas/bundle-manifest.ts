// manifest.json at the root of every support bundle (format version 1).
import { type Static, Type } from '@sinclair/typebox';

const Str = Type.String();
const Opt = Type.Optional;
const Count = Type.Integer({ minimum: 0 });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const CollectorRunSchema = Type.Object(
  {
    name: Str,
    status: Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('timeout'), Type.Literal('skipped')]),
    duration_ms: Type.Number({ minimum: 0 }),
    error: Opt(Type.Object({ code: Str, message: Str }, { additionalProperties: false })),
    files: Opt(Type.Array(Str)),
  },
  { additionalProperties: false },
);

export const BundleFileSchema = Type.Object(
  {
    path: Str,
    size: Count,
    sha256: Sha256,
    collector: Opt(Str),
    redactions: Opt(Count),
  },
  { additionalProperties: false },
);

export const RulePackRefSchema = Type.Object(
  { name: Str, version: Str, sha256: Sha256 },
  { additionalProperties: false },
);

export const RedactionReportSchema = Type.Object(
  {
    packs: Type.Array(RulePackRefSchema),
    key_id: Type.String({ description: 'Hash of the site pseudonym key, never the key' }),
    by_rule: Type.Record(Str, Count),
    by_category: Type.Record(Str, Count),
    by_file: Type.Record(Str, Type.Record(Str, Count)),
    rescan: Type.Union([Type.Literal('clean'), Type.Literal('skipped')]),
  },
  { additionalProperties: false },
);

export const TruncationSchema = Type.Object(
  {
    path: Str,
    original_size: Count,
    kept_size: Count,
    reason: Str,
  },
  { additionalProperties: false },
);

export const BundleManifestSchema = Type.Object(
  {
    format_version: Type.Literal(1),
    tool: Type.Object({ name: Type.Literal('shiplog'), version: Str }, { additionalProperties: false }),
    created_at: Str,
    host: Type.Object(
      { name: Str, os: Opt(Str), kernel: Opt(Str), machine_id: Opt(Str) },
      { additionalProperties: false },
    ),
    window: Type.Object({ since: Str, until: Str }, { additionalProperties: false }),
    collectors: Type.Array(CollectorRunSchema),
    files: Type.Array(BundleFileSchema),
    redaction: RedactionReportSchema,
    truncations: Type.Array(TruncationSchema),
    signing_key: Type.Object(
      { algorithm: Type.Literal('ssh-ed25519'), fingerprint: Str },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, $id: 'https://shiplog.dev/schemas/bundle-manifest.schema.json' },
);

export type BundleManifest = Static<typeof BundleManifestSchema>;
export type CollectorRun = Static<typeof CollectorRunSchema>;
export type BundleFile = Static<typeof BundleFileSchema>;
export type RedactionReport = Static<typeof RedactionReportSchema>;
