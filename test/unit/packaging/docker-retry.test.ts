// `npm run kit` outlives a dockerd that drops its connection for a moment,
// and still fails at once on a real build error.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type DockerAttempt,
  isTransientDockerFailure,
  runDocker,
  withDockerRetry,
} from '../../../packaging/docker-retry.ts';
import { tempDir } from '../../helpers/temp.ts';

const brokenPipe =
  'error during connect: Post "http://%2Fvar%2Frun%2Fdocker.sock/v1.41/build?buildargs=%7B%7D&t=shiplog%2Fagent%3A0.1.0": write unix @->/var/run/docker.sock: write: broken pipe';
const reset =
  'error during connect: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.41/images/get": read unix @->/run/docker.sock: read: connection reset by peer';

describe('isTransientDockerFailure', () => {
  it.each([
    ['docker build, socket write broken', brokenPipe, true],
    ['docker save, socket read reset', reset, true],
    [
      'a build step that fails',
      "The command '/bin/sh -c chmod -R a+rX /opt/shiplog' returned a non-zero code: 1",
      false,
    ],
    [
      'a file missing from the context',
      'COPY failed: file not found in build context or excluded by .dockerignore: stat .cache/packaging/tree: file does not exist',
      false,
    ],
    [
      'no dockerd at all',
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
      false,
    ],
    ['gzip on a full disk', 'gzip: stdout: No space left on device', false],
    ['docker save into a closed pipe (not the daemon)', 'write /dev/stdout: broken pipe', false],
  ])('%s: %s', (_name, stderr, transient) => {
    expect(isTransientDockerFailure(stderr)).toBe(transient);
  });
});

/** Answers the given results in turn and counts the calls. */
function scripted(...results: DockerAttempt[]) {
  const calls = { n: 0 };
  const attempt = () => results[Math.min(calls.n++, results.length - 1)] as DockerAttempt;
  return { attempt, calls };
}

const ok: DockerAttempt = { status: 0, stderr: '' };
const dropped: DockerAttempt = { status: 1, stderr: brokenPipe };
const quiet = { log: () => {}, pause: () => {} };

describe('withDockerRetry', () => {
  it('tries again after a dropped connection and says so', () => {
    const lines: string[] = [];
    const { attempt, calls } = scripted(dropped, { status: 1, stderr: reset }, ok);
    withDockerRetry('docker build --target agent', attempt, { log: (line) => lines.push(line), pause: () => {} });
    expect(calls.n).toBe(3);
    expect(lines).toEqual([
      expect.stringMatching(
        /^docker build --target agent: dockerd dropped the connection \(.*write: broken pipe\); attempt 2 of 3/,
      ),
      expect.stringMatching(/connection reset by peer\); attempt 3 of 3/),
    ]);
  });

  it('fails at once on a real build error, with what docker said', () => {
    const { attempt, calls } = scripted({
      status: 1,
      stderr: "The command '/bin/sh -c false' returned a non-zero code: 1\n",
    });
    expect(() => withDockerRetry('docker build --target agent', attempt, quiet)).toThrow(
      /^docker build --target agent failed \(exit 1\):\nThe command '\/bin\/sh -c false' returned a non-zero code: 1$/,
    );
    expect(calls.n).toBe(1);
  });

  it('gives up after three dropped connections in a row', () => {
    const { attempt, calls } = scripted(dropped);
    expect(() => withDockerRetry('docker save shiplog/agent:0.1.0', attempt, quiet)).toThrow(
      /dropped the connection 3 times in a row; giving up/,
    );
    expect(calls.n).toBe(3);
  });

  it('reads the verdict from a real process, whose stderr it passes on', () => {
    // A stand-in for docker that loses its connection once, then works.
    const dir = tempDir('shiplog-docker-retry-');
    const script = join(dir, 'docker');
    writeFileSync(
      script,
      `if [ -e "${dir}/tried" ]; then exit 0; fi\ntouch "${dir}/tried"\necho '${brokenPipe}' >&2\nexit 1\n`,
    );
    let runs = 0;
    withDockerRetry(
      'docker build',
      () => {
        runs++;
        return runDocker('sh', [script]);
      },
      quiet,
    );
    expect(runs).toBe(2);
  });
});
