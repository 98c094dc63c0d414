// The Docker engine the integration tests use, through dockerode like the product.
import Docker from 'dockerode';

/** Built locally by test/services/up.sh (no registry here): a static busybox. */
export const TEST_IMAGE = 'shiplog-test/busybox:latest';
/**
 * Every container a test creates carries these labels: shiplog-test=1 marks it
 * as a test's, the owner pid lets cleanup spare the containers of another test
 * run that shares this engine.
 */
export const TEST_LABELS = { 'shiplog-test': '1', 'shiplog-test.owner': String(process.pid) } as const;

let client: Docker | undefined;

/** docker-modem reads DOCKER_HOST itself and falls back to /var/run/docker.sock. */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}

export interface LogFrame {
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * Splits the engine's multiplexed log stream (non-TTY containers): each frame
 * is an 8-byte header — stream id, 3 zero bytes, big-endian payload length —
 * then the payload. Only for tests; the product has its own parser.
 */
export function demuxLogs(buf: Buffer): LogFrame[] {
  const frames: LogFrame[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const kind = buf[at];
    const size = buf.readUInt32BE(at + 4);
    const text = buf.subarray(at + 8, at + 8 + size).toString('utf8');
    frames.push({ stream: kind === 2 ? 'stderr' : 'stdout', text });
    at += 8 + size;
  }
  return frames;
}

/** Splits frames into lines per stream (a frame may hold several lines, or part of one). */
export function linesByStream(frames: LogFrame[]): { stdout: string[]; stderr: string[] } {
  const join = (stream: LogFrame['stream']) =>
    frames
      .filter((f) => f.stream === stream)
      .map((f) => f.text)
      .join('');
  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
  return { stdout: lines(join('stdout')), stderr: lines(join('stderr')) };
}

export interface RunOptions {
  env?: string[];
  labels?: Record<string, string>;
  hostConfig?: Docker.HostConfig;
  /** Keep the container after it exits (the caller removes it, or cleanup does). */
  keep?: boolean;
}

export interface RunResult {
  id: string;
  exitCode: number;
  stdout: string[];
  stderr: string[];
}

/** Runs cmd in TEST_IMAGE with no network, waits for it to exit, returns its log lines. */
export async function runToCompletion(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
  const container = await docker().createContainer({
    Image: TEST_IMAGE,
    Cmd: cmd,
    Env: opts.env,
    Labels: { ...opts.labels, ...TEST_LABELS },
    HostConfig: { NetworkMode: 'none', ...opts.hostConfig },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return { id: container.id, exitCode: StatusCode, ...linesByStream(demuxLogs(logs)) };
  } finally {
    if (!opts.keep) await container.remove({ force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Force-removes the containers labelled shiplog-test=1 that this process made,
 * and those left behind by test processes that no longer exist.
 */
export async function removeTestContainers(): Promise<void> {
  const list = await docker().listContainers({ all: true, filters: { label: ['shiplog-test=1'] } });
  const stale = list.filter((c) => {
    const owner = Number(c.Labels['shiplog-test.owner']);
    return owner === process.pid || !Number.isInteger(owner) || !alive(owner);
  });
  // 404/409: already gone, or being removed by an auto-remove.
  await Promise.all(
    stale.map((c) =>
      docker()
        .getContainer(c.Id)
        .remove({ force: true })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
        }),
    ),
  );
}

/** Creates and starts a labelled test container running `sh -c cmd`, with no network unless `hostConfig` says so. */
export async function startShell(
  name: string,
  cmd: string,
  hostConfig: Docker.HostConfig = {},
  more: Partial<Docker.ContainerCreateOptions> = {},
): Promise<Docker.Container> {
  const container = await docker().createContainer({
    name,
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', cmd],
    Labels: { ...TEST_LABELS },
    HostConfig: { NetworkMode: 'none', ...hostConfig },
    ...more,
  });
  await container.start();
  return container;
}

/** Polls `inspect` until `done` holds for it; fails naming `what` the container never did. */
export async function untilInspect(
  name: string,
  done: (info: Docker.ContainerInspectInfo) => boolean,
  what: string,
  within = 60_000,
): Promise<Docker.ContainerInspectInfo> {
  const deadline = Date.now() + within;
  for (;;) {
    const info = await docker().getContainer(name).inspect();
    if (done(info)) return info;
    if (Date.now() > deadline) throw new Error(`${name} never ${what}: ${JSON.stringify(info.State)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
