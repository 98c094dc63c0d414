// The agent's effective configuration (secrets as [REDACTED]), its recent
// self-logs (the bounded copy it keeps in its data directory, see
// self-log.ts; redacted like every other file) and, when an agent answers on
// status.listen, its status.

import { type FileHandle, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { resolveDataDir } from '../../../core/data-dir.ts';
import { printableAgentConfig } from '../../config.ts';
import { selfLogPaths } from '../../self-log.ts';
import { parseListen } from '../../status/server.ts';
import type { CollectContext, Collector } from './types.ts';

/** The lines of the self-log files, older file first, through handles the caller opened and closes. */
async function* selfLogLines(files: readonly FileHandle[], signal: AbortSignal): AsyncGenerator<string> {
  for (const file of files) {
    const input = file.createReadStream({ encoding: 'utf8', signal, autoClose: false });
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) yield line;
  }
}

/** Copies the agent's self-logs into agent/agent.log; returns a line for NOTES.txt. */
async function collectSelfLogs(ctx: CollectContext): Promise<string> {
  const dataDir = resolveDataDir(ctx.env, ctx.config.data_dir);
  // Opened before reading: a running agent that rotates agent.log to
  // agent.log.1 meanwhile moves names, not the files the handles hold.
  const found: string[] = [];
  const files: FileHandle[] = [];
  for (const path of selfLogPaths(dataDir)) {
    const file = await open(path, 'r').catch(() => undefined);
    if (file) {
      found.push(path);
      files.push(file);
    }
  }
  if (files.length === 0) {
    return `self-logs: none in ${dataDir}/logs (no agent has run with this data directory); its stdout has them.`;
  }
  try {
    await ctx.emit('agent/agent.log', selfLogLines(files, ctx.signal));
  } finally {
    // Also when emit failed before reading them.
    for (const file of files) await file.close().catch(() => {});
  }
  return `self-logs: the agent's recent logs from ${found.join(' and ')} (agent/agent.log); its stdout has the rest.`;
}

const STATUS_TIMEOUT_MS = 5_000;

export const agent: Collector = {
  name: 'agent',
  timeoutMs: 20_000,
  async collect(ctx) {
    await ctx.emit('agent/config.json', { json: printableAgentConfig(ctx.config) });
    const notes = [await collectSelfLogs(ctx)];
    const status = ctx.config.status;
    if (!status.enabled) {
      notes.unshift('status: the status endpoint is disabled (status.enabled: false).');
    } else {
      const { host, port } = parseListen(status.listen);
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/status`;
      try {
        const response = await fetch(url, {
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(STATUS_TIMEOUT_MS)]),
        });
        await ctx.emit('agent/status.json', { json: await response.json() });
        notes.unshift(`status: an agent answered on ${url} (agent/status.json).`);
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        notes.unshift(`status: no agent answered on ${url} (${(error as Error).cause ?? (error as Error).message}).`);
      }
    }
    await ctx.emit('agent/NOTES.txt', `${notes.join('\n')}\n`);
  },
};
