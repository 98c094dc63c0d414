// The agent's configuration: schemas/agent-config.ts, from a YAML file and
// SHIPLOG_* variables, validated, defaulted and frozen.

import { CodedError } from '../core/coded-error.ts';
import { displayConfig, loadConfig, secretValues } from '../core/config.ts';
import { type AgentConfig, AgentConfigSchema } from '../schemas/agent-config.ts';
import { agentErrors } from './errors.ts';

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
