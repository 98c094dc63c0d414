// The line stage (pipeline/line-stage.ts) as files use it, for the file
// source and `shiplog ship` alike: events carry the file's identity, the
// line's byte offset (the id) and the file's path.
import { CodedError } from '../../../core/coded-error.ts';
import { agentErrors } from '../../errors.ts';
import { quote } from '../../pipeline/event-json.ts';
import { LineStage, type StreamParts } from '../../pipeline/line-stage.ts';
import type { FileSourceConfig } from './options.ts';

/** A file as the stage sees it: its identity and where it is now (a tracker's cursor is one). */
export interface FileStream {
  readonly entry: { readonly key: string };
  readonly path: string;
}

/** Throws FILE_TIMEZONE_INVALID for a zone Intl does not know, and MULTILINE_PATTERN_INVALID for a bad pattern. */
export function fileLineStage<S extends FileStream>(
  hostName: string,
  config: Pick<FileSourceConfig, 'timezone' | 'multiline'>,
): LineStage<S> {
  try {
    return new LineStage<S>({ hostName, timezone: config.timezone, multiline: config.multiline, parts: fileParts });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new CodedError(agentErrors.FILE_TIMEZONE_INVALID, { zone: config.timezone }, { cause: error });
  }
}

/** A file keeps its identity; its path changes when it is renamed. */
export function fileParts(file: FileStream, cached: StreamParts | undefined): StreamParts {
  if (cached !== undefined && cached.key === file.entry.key && cached.tag === file.path) return cached;
  return {
    key: file.entry.key,
    source: 'file',
    logMembers: `,"file":{"path":${quote(file.path)}}`,
    after: '',
    tag: file.path,
  };
}
