// The `file` source: tails syslog files (rotation-aware, resumable, exactly
// once through acknowledged checkpoints). A factory plus its default config.
import { Value } from '@sinclair/typebox/value';
import { FileSourceSchema } from '../../../schemas/agent-config.ts';
import type { FileSourceConfig, FileSourceDeps } from './options.ts';
import { FileSource } from './source.ts';

export type { FileCheckpoint } from './checkpoint.ts';
export type { FileSourceConfig, FileSourceDeps, FileSourceOptions, FileStatus } from './options.ts';
export { FileSource };

/** The configuration the source runs on when none is given (schema defaults). */
export function defaultFileSourceConfig(overrides: Partial<FileSourceConfig> = {}): FileSourceConfig {
  return Value.Default(FileSourceSchema, structuredClone(overrides)) as FileSourceConfig;
}

export function createFileSource(deps: FileSourceDeps): FileSource {
  return new FileSource(deps);
}
