// The `file` source: tails syslog files (rotation-aware, resumable, exactly
// once through acknowledged checkpoints).
import type { FileSourceDeps } from './options.ts';
import { FileSource } from './source.ts';

export type { FileCheckpoint } from './checkpoint.ts';
export type { FileSourceConfig, FileSourceDeps, FileSourceOptions, FileStatus } from './options.ts';
export { FileSource };

export function createFileSource(deps: FileSourceDeps): FileSource {
  return new FileSource(deps);
}
// What `shiplog ship` reads files with: the same identity and line reading as tailing.
export { fingerprintOf, identityKey, readGzipHead, readHead } from './identity.ts';
export { type ChunkReader, GzipReader, type LineRecord, LineSplitter, PlainReader } from './reader.ts';
export { type FileStream, fileLineStage } from './stage.ts';
