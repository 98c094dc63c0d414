// The vendor's known-issue rules (known-issues.yaml in the collector's data
// directory): problems support has seen before, each recognised by a line of
// a bundle, so the next bundle that shows one says what it is and what to do.
// The collector reloads the file when it changes; a file that does not pass
// this schema keeps the rules loaded before and is reported.
import { type Static, Type } from '@sinclair/typebox';
import { Strict } from './common.ts';

const Opt = Type.Optional;

export const KnownIssueSignatureSchema = Type.Union(
  [
    Type.Object(
      {
        regex: Type.String({
          minLength: 1,
          maxLength: 4096,
          description: 'JavaScript regular expression a line matches',
        }),
        ignore_case: Opt(Type.Boolean({ description: 'Match letters in either case (default false)' })),
      },
      Strict,
    ),
    Type.Object(
      {
        template: Type.String({
          minLength: 1,
          maxLength: 4096,
          description:
            'A line template as the miner writes them: tokens split at whitespace, <*> for any one token, <NUM> <HEX> <UUID> <IP> <TIME> <DUR> for a value of that kind; raw values are masked the same way',
        }),
      },
      Strict,
    ),
  ],
  { description: 'How a line showing the issue is recognised: a regex, or a template' },
);

export const KnownIssueRuleSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9._-]{0,62}$',
      description: 'Stable id: the finding key is known-issue:<id>',
    }),
    title: Type.String({ minLength: 1, maxLength: 200, description: 'The finding title, one line' }),
    severity: Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')], {
      default: 'warning',
    }),
    signature: KnownIssueSignatureSchema,
    images: Opt(
      Type.Array(Type.String({ minLength: 1, maxLength: 512 }), {
        minItems: 1,
        description:
          'Only lines of containers whose image name (without tag) matches one of these globs: * any run of characters, ? one',
      }),
    ),
    versions: Opt(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description:
          'Only containers whose image tag is a version in this semver range (">=1.4.0 <1.4.3 || 2.0.x", "^1.2", "~1.4.1"); a tag that is no version does not match',
      }),
    ),
    hint: Type.String({ minLength: 1, maxLength: 4096, description: 'What to do about it, for the support engineer' }),
    link: Opt(Type.String({ minLength: 1, maxLength: 2048, description: 'Where the issue is written up' })),
  },
  Strict,
);

export const KnownIssuesSchema = Type.Object(
  {
    rules: Type.Array(KnownIssueRuleSchema, { default: [], maxItems: 10_000 }),
  },
  { ...Strict, $id: 'https://shiplog.dev/schemas/known-issues.schema.json' },
);

export type KnownIssues = Static<typeof KnownIssuesSchema>;
export type KnownIssueRule = Static<typeof KnownIssueRuleSchema>;
export type KnownIssueSignature = Static<typeof KnownIssueSignatureSchema>;
