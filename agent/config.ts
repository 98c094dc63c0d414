// The agent's configuration: schemas/agent-config.ts, from a YAML file and
// SHIPLOG_* variables, validated, defaulted and frozen. The schema is read
// from its published JSON (schemas/json, kept equal to the TypeBox source by
// `npm run schemas:check`): loading TypeBox itself cost every command 17 MB.

import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { CodedError } from '../core/coded-error.ts';
import { displayConfig, loadConfig, secretValues } from '../core/config.ts';
import { resourcePath } from '../core/resources.ts';
import type { AgentConfig } from '../schemas/agent-config.ts';
import { agentErrors } from './errors.ts';

const AgentConfigSchema = JSON.parse(
  readFileSync(resourcePath('schemas/json/agent-config.schema.json'), 'utf8'),
) as TSchema;

export type { AgentConfig };

export function loadAgentConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Readonly<AgentConfig> {
  return loadConfig<AgentConfig>({
    schema: AgentConfigSchema,
    envPrefix: 'SHIPLOG_',
    file,
    env,
    errors: {
      invalid: (details) => new CodedError(agentErrors.CONFIG_INVALID, details),
      unreadable: (details) => new CodedError(agentErrors.CONFIG_UNREADABLE, details),
      parse: (details) => new CodedError(agentErrors.CONFIG_PARSE, details),
    },
  });
}

export function printableAgentConfig(config: AgentConfig): unknown {
  return displayConfig(config, AgentConfigSchema);
}

export function agentConfigSecrets(config: AgentConfig): string[] {
  return secretValues(config, AgentConfigSchema);
}
