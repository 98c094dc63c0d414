// A redaction rule pack: the built-in packs (agent/redaction/packs/*.yaml) and
// an operator's rule file (redaction.rules in the agent config) share this
// format. Every regex is a JavaScript regular expression, compiled once at
// start-up; a rule that does not compile stops start-up and is named.
import { type Static, Type } from '@sinclair/typebox';
import { Strict } from './common.ts';

const Opt = Type.Optional;

export const RedactionActionSchema = Type.Union(
  [Type.Literal('mask'), Type.Literal('pseudonymize'), Type.Literal('keep')],
  {
    description: 'mask: [REDACTED:rule]; pseudonymize: a stable keyed token; keep: leave the text as it is',
  },
);

export const RedactionCategorySchema = Type.Union(
  [Type.Literal('secret'), Type.Literal('personal'), Type.Literal('operator')],
  { description: 'Which per-category action applies when the rule sets none' },
);

export const PseudonymShapeSchema = Type.Union(
  [Type.Literal('token'), Type.Literal('ipv4'), Type.Literal('ipv6'), Type.Literal('email'), Type.Literal('hostname')],
  { description: 'Form of the pseudonym: token is [PSEUDONYM:rule:xxxxxxxx]; the others keep the shape of the value' },
);

export const RedactionValidatorSchema = Type.Union(
  [
    Type.Literal('luhn'),
    Type.Literal('iban'),
    Type.Literal('entropy'),
    Type.Literal('us-ssn'),
    Type.Literal('ipv6'),
    Type.Literal('pem-base64'),
    Type.Literal('base64-secret'),
  ],
  { description: 'A check the matched value must also pass (card checksum, IBAN mod-97, randomness, ...)' },
);

const RuleId = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'Stable id, shown in masks and reports',
});

export const RedactionBlockSchema = Type.Object(
  {
    end: Type.String({
      minLength: 1,
      description: 'Regex of the line that closes the block (e.g. -----END ... KEY-----)',
    }),
    body: Type.String({
      minLength: 1,
      description:
        'Regex every line inside the block matches (another line ends it); its group `value`, if any, is what is masked',
    }),
    max_lines: Type.Integer({ minimum: 1, maximum: 100000, default: 1000 }),
  },
  {
    ...Strict,
    description: 'When the rule matches and the end is not on the same line, the following lines are masked whole',
  },
);

export const RedactionExamplesSchema = Type.Object(
  {
    find: Opt(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Lines in which this rule must replace the text between « and » (or the whole line when unmarked), written into every log shape of the test corpus',
      }),
    ),
    find_line: Opt(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'As find, but tested only as written (the rule depends on where the line starts or ends)',
      }),
    ),
    keep: Opt(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Benign look-alikes: lines that the whole rule set must leave exactly as they are',
      }),
    ),
  },
  {
    ...Strict,
    description: 'Test cases that live next to the rule: the corpus test runs them, the coverage table counts them',
  },
);

export const RedactionRuleSchema = Type.Object(
  {
    id: RuleId,
    description: Opt(Type.String()),
    category: RedactionCategorySchema,
    keywords: Opt(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'Case-insensitive words one of which a line must contain before the regex runs',
      }),
    ),
    prefilter: Opt(
      Type.String({
        minLength: 1,
        description: 'Cheap regex a line must match before the rule regex runs (no keywords)',
      }),
    ),
    regex: Opt(Type.String({ minLength: 1, description: 'What to find in a line of text' })),
    literal: Opt(Type.String({ minLength: 1, description: 'Exact text to find (instead of regex)' })),
    ignore_case: Type.Boolean({ default: false }),
    group: Opt(
      Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[A-Za-z_]\\w*$' })], {
        description:
          'Capture group (number or name) whose text is replaced; default the whole match, from the start of any named group captured in a lookbehind',
      }),
    ),
    field: Opt(Type.String({ minLength: 1, description: 'Regex of JSON field names whose whole value is replaced' })),
    validator: Opt(RedactionValidatorSchema),
    min_entropy: Opt(
      Type.Number({ minimum: 0, maximum: 8, description: 'Bits per character, with validator: entropy' }),
    ),
    keep_list: Type.Boolean({
      default: true,
      description:
        'false: a value after an explicit secret key is replaced even when it looks like a UUID or a digest (keep entries that name the rule still apply)',
    }),
    action: Opt(RedactionActionSchema),
    shape: Opt(PseudonymShapeSchema),
    block: Opt(RedactionBlockSchema),
    examples: Opt(RedactionExamplesSchema),
  },
  Strict,
);

export const RedactionKeepSchema = Type.Object(
  {
    id: RuleId,
    description: Opt(Type.String()),
    regex: Type.String({ minLength: 1, description: 'A value that matches this whole is left alone' }),
    ignore_case: Type.Boolean({ default: false }),
    rules: Opt(
      Type.Array(RuleId, {
        minItems: 1,
        description: 'Ids of the rules this entry protects against; default every rule with keep_list: true',
      }),
    ),
    always: Type.Boolean({
      default: false,
      description: 'true: applies even to rules with keep_list: false (placeholders, already-redacted text)',
    }),
  },
  Strict,
);

export const RedactionRulesSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' }),
    version: Type.String({
      pattern: '^\\d+\\.\\d+\\.\\d+([-+][0-9A-Za-z.-]+)?$',
      description: 'Semantic version of the pack',
    }),
    description: Opt(Type.String()),
    rules: Type.Array(RedactionRuleSchema, { default: [] }),
    keep: Type.Array(RedactionKeepSchema, { default: [] }),
  },
  { ...Strict, $id: 'https://shiplog.dev/schemas/redaction-rules.schema.json' },
);

export type RedactionRules = Static<typeof RedactionRulesSchema>;
export type RedactionRule = Static<typeof RedactionRuleSchema>;
export type RedactionKeep = Static<typeof RedactionKeepSchema>;
export type RedactionAction = Static<typeof RedactionActionSchema>;
export type RedactionCategory = Static<typeof RedactionCategorySchema>;
export type PseudonymShape = Static<typeof PseudonymShapeSchema>;
export type RedactionValidator = Static<typeof RedactionValidatorSchema>;
export type RedactionExamples = Static<typeof RedactionExamplesSchema>;
