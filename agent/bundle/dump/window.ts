// --since / --until: a duration back from now ("24h", "90m") or a time.
import { CodedError } from '../../../core/coded-error.ts';
import { parseDuration } from '../../../core/units.ts';
import { agentErrors } from '../../errors.ts';

export function resolveWindow(
  since: string | number,
  until: string | undefined,
  now: Date,
): { since: Date; until: Date } {
  const end = until === undefined ? now : pointInTime(until, now, '--until');
  const start = pointInTime(since, end, '--since');
  if (start.getTime() >= end.getTime()) {
    throw new CodedError(agentErrors.DUMP_WINDOW, {
      detail: `--since (${start.toISOString()}) is not before --until (${end.toISOString()})`,
    });
  }
  return { since: start, until: end };
}

function pointInTime(value: string | number, reference: Date, option: string): Date {
  if (typeof value === 'number') return new Date(reference.getTime() - value);
  try {
    return new Date(reference.getTime() - parseDuration(value));
  } catch {
    const time = Date.parse(value);
    if (Number.isFinite(time)) return new Date(time);
    throw new CodedError(agentErrors.DUMP_WINDOW, { detail: `${option} "${value}" is neither a duration nor a time` });
  }
}
