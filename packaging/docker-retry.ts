// `docker build` and `docker save` for the kit, tried again when dockerd's
// connection broke under them. A busy dockerd sometimes drops the client's
// socket in the middle of a build or a save ("write unix ...docker.sock:
// write: broken pipe", "read: connection reset by peer"); the same command
// then works. Only that is retried, a bounded number of times with a pause;
// a real failure (a build step that fails, a missing file, no dockerd at all)
// is thrown at once with what docker said.
import { spawnSync } from 'node:child_process';

export const dockerAttempts = 3;

/** Go's words for a socket that the other side dropped: net.OpError "write: broken pipe", "read: connection reset by peer". */
const brokenConnection = /\b(?:read|write): (?:broken pipe|connection reset by peer)\b/i;

/** True when docker's stderr says its connection to dockerd broke, which a new attempt can get past. */
export function isTransientDockerFailure(stderr: string): boolean {
  return brokenConnection.test(stderr);
}

export interface DockerAttempt {
  /** Exit status; null when a signal ended it. */
  status: number | null;
  stderr: string;
}

export interface RetryOptions {
  log: (line: string) => void;
  attempts?: number;
  /** Waits between attempts (ms); blocks, as the kit's steps are synchronous. */
  pause?: (ms: number) => void;
  pauseMs?: number;
}

/** Runs `attempt` until it succeeds, fails for real, or has failed transiently `attempts` times. */
export function withDockerRetry(what: string, attempt: () => DockerAttempt, options: RetryOptions): void {
  const { log, attempts = dockerAttempts, pause = sleepSync, pauseMs = 3000 } = options;
  for (let n = 1; ; n++) {
    const result = attempt();
    if (result.status === 0) return;
    const said = result.stderr.trim();
    if (!isTransientDockerFailure(said)) {
      throw new Error(`${what} failed (exit ${result.status ?? 'by a signal'}):\n${said}`);
    }
    if (n >= attempts) {
      throw new Error(`${what}: dockerd dropped the connection ${attempts} times in a row; giving up:\n${said}`);
    }
    log(
      `${what}: dockerd dropped the connection (${said.split('\n').find((line) => brokenConnection.test(line))}); attempt ${n + 1} of ${attempts} in ${pauseMs / 1000} s`,
    );
    pause(pauseMs);
  }
}

/** One run of a command, its stderr kept for the verdict and also shown. */
export function runDocker(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): DockerAttempt {
  const result = spawnSync(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.error) throw result.error;
  process.stderr.write(result.stderr);
  return { status: result.status, stderr: result.stderr };
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
