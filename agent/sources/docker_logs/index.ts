// The docker_logs source: every container's stdout and stderr through the
// Docker Engine API, resumed exactly from acknowledged checkpoints.
import Dockerode from 'dockerode';
import { DockerLogsSource, type DockerLogsSourceDeps } from './source.ts';

export type { ContainerCheckpoint, StreamMark } from './checkpoint.ts';
export type { FollowerLimits, FollowerState } from './follower.ts';
export type { DockerSourceNotice, NoticeListener } from './notices.ts';
export { STATE_NAME } from './positions.ts';
export {
  DEFAULT_TUNING,
  type DockerContainerStatus,
  DockerLogsSource,
  type DockerLogsSourceDeps,
  type DockerSourceConfig,
  type DockerSourceStatus,
  type DockerSourceTuning,
} from './source.ts';

export function createDockerLogsSource(deps: DockerLogsSourceDeps): DockerLogsSource {
  return new DockerLogsSource(deps);
}

/**
 * A Docker client for `sources.docker.host`: "unix:///path", "/path",
 * "tcp://host:port" or "host:port". Without one, docker-modem reads
 * DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) as the docker CLI
 * does, then falls back to /var/run/docker.sock.
 */
export function dockerClient(host?: string): Dockerode {
  if (!host) return new Dockerode();
  if (host.startsWith('unix://') || host.startsWith('/')) {
    const socketPath = host.startsWith('unix://') ? host.slice('unix://'.length) : host;
    // host: undefined overrides a DOCKER_HOST=tcp://... default inside docker-modem.
    return new Dockerode({ socketPath, host: undefined });
  }
  const url = new URL(host.includes('://') ? host : `tcp://${host}`);
  const https = url.protocol === 'https:' || url.port === '2376';
  return new Dockerode({
    host: url.hostname,
    port: url.port || (https ? 2376 : 2375),
    protocol: https ? 'https' : 'http',
  });
}
