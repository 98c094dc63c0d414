// Every schema that crosses a boundary, by the file name its JSON form is
// published under (schemas/json/<name>.schema.json).
import type { TSchema } from '@sinclair/typebox';
import { AgentConfigSchema } from './agent-config.ts';
import { BundleManifestSchema } from './bundle-manifest.ts';
import { CollectorApiSchema } from './collector-api.ts';
import { CollectorConfigSchema } from './collector-config.ts';
import { KnownIssuesSchema } from './known-issues.ts';
import { LogEventSchema } from './log-event.ts';
import { RedactionRulesSchema } from './redaction-rules.ts';

export const publishedSchemas: Readonly<Record<string, TSchema>> = {
  'log-event': LogEventSchema,
  'bundle-manifest': BundleManifestSchema,
  'agent-config': AgentConfigSchema,
  'collector-config': CollectorConfigSchema,
  'collector-api': CollectorApiSchema,
  'redaction-rules': RedactionRulesSchema,
  'known-issues': KnownIssuesSchema,
};
