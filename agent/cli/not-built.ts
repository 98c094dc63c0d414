import type { CommandModule } from '../../core/cli.ts';
import { CodedError } from '../../core/coded-error.ts';
import { agentErrors } from '../errors.ts';

/** A placeholder for a command a later release builds: says so and fails. */
export function notBuilt(command: string): () => Promise<CommandModule> {
  return async () => ({
    run: async () => {
      throw new CodedError(agentErrors.NOT_IMPLEMENTED, { command });
    },
  });
}
