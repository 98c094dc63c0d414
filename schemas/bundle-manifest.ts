// manifest.json at the root of every support bundle (format version 1).
import { type Static, Type } from '@sinclair/typebox';

// Bounds keep a hostile manifest cheap to check: no real bundle comes near them.
const Str = Type.String({ maxLength: 4096 });
const Text = Type.String({ maxLength: 65_536 });
const Path = Type.String({ minLength: 1, maxLength: 1024 });
const Many = { maxItems: 100_000 } as const;
const Opt = Type.Optional;
const Count = Type.Integer({ minimum: 0 });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const CollectorRunSchema = Type.Object(
  {
    name: Str,
    status: Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('timeout'), Type.Literal('skipped')]),
    duration_ms: Type.Number({ minimum: 0 }),
    error: Opt(Type.Object({ code: Str, message: Text }, { additionalProperties: false })),
    files: Opt(Type.Array(Path, Many)),
  },
  { additionalProperties: false },
);

export const BundleFileSchema = Type.Object(
  {
    path: Path,
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
    packs: Type.Array(RulePackRefSchema, { maxItems: 1000 }),
    key_id: Type.String({ description: 'Hash of the site pseudonym key, never the key' }),
    by_rule: Type.Record(Str, Count, { maxProperties: 10_000 }),
    by_category: Type.Record(Str, Count, { maxProperties: 10_000 }),
    by_file: Type.Record(Str, Type.Record(Str, Count, { maxProperties: 10_000 }), { maxProperties: 100_000 }),
    rescan: Type.Union([Type.Literal('clean'), Type.Literal('skipped')]),
  },
  { additionalProperties: false },
);

export const TruncationSchema = Type.Object(
  {
    path: Path,
    original_size: Count,
    kept_size: Count,
    reason: Text,
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
    collectors: Type.Array(CollectorRunSchema, { maxItems: 10_000 }),
    files: Type.Array(BundleFileSchema, Many),
    redaction: RedactionReportSchema,
    truncations: Type.Array(TruncationSchema, Many),
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
