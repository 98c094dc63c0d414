// The spool's public surface.
export type { SpoolReader } from './cursor.ts';
export { decodeEvent, SpoolEventWriter, scanEvents } from './events.ts';
export { ReadOnlySpool, type ReadOnlySpoolOptions, type ReadOnlySpoolStats } from './readonly.ts';
export { Spool, spoolOptionsFromConfig } from './spool.ts';
export type {
  AppendOptions,
  AppendResult,
  FsyncPolicy,
  ReaderStats,
  ReadOptions,
  ScanWindow,
  SpoolBatch,
  SpoolMode,
  SpoolOptions,
  SpoolPosition,
  SpoolRecord,
  SpoolStats,
  WhenFull,
} from './types.ts';
export { comparePositions } from './types.ts';
