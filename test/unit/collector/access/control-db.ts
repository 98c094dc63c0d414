// A real control.db in a temporary directory, as serve and the commands open it.

import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { afterAll } from 'vitest';
import { cliActor } from '../../../../collector/access/principal.ts';
import { openControl } from '../../../../collector/store/control.ts';
import { CodedError } from '../../../../core/coded-error.ts';
import { tempDir } from '../../../helpers/temp.ts';

const open: DatabaseSync[] = [];
afterAll(() => {
  for (const db of open.splice(0)) if (db.isOpen) db.close();
});

export function controlDb(): { db: DatabaseSync; path: string } {
  const path = join(tempDir('shiplog-access-'), 'control.db');
  const db = openControl(path);
  open.push(db);
  return { db, path };
}

/** Another connection to the same file: what `serve` holds while a command runs. */
export function secondConnection(path: string): DatabaseSync {
  const db = openControl(path);
  open.push(db);
  return db;
}

export const operator = cliActor('operator');

/** The code of the CodedError `work` throws. */
export function codeOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (error instanceof CodedError) return error.code;
    throw error;
  }
  throw new Error('expected a coded error, and nothing was thrown');
}
