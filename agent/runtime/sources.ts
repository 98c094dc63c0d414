// Which sources the agent runs. On embedded defaults: the Docker engine when
// its socket is there (or DOCKER_HOST / sources.docker.host names one), and
// the standard syslog files (the file source waits for absent ones to appear).
// The syslog listener runs when any of sources.syslog.{udp,tcp,tls}.listen is set.
import { existsSync } from 'node:fs';
import { parseBytes } from '../../core/units.ts';
import { ByteBudget } from '../pipeline/byte-budget.ts';
import { DockerLogsSource, dockerClient } from '../sources/docker_logs/index.ts';
import { FileSource } from '../sources/file/index.ts';
import { SyslogSource } from '../sources/syslog/index.ts';
import type { NamedSource, SourceDeps } from './agent.ts';

const defaultSocket = '/var/run/docker.sock';

export async function buildSources(deps: SourceDeps): Promise<NamedSource[]> {
  const { config, writer, state, telemetry, hostName, logger } = deps;
  const sources: NamedSource[] = [];
  const docker = config.sources.docker;
  if (docker.enabled) {
    const explicit = docker.host ?? process.env.DOCKER_HOST;
    if (explicit || existsSync(defaultSocket)) {
      const source = new DockerLogsSource({
        docker: dockerClient(docker.host),
        writer,
        state,
        telemetry,
        config: docker,
        hostName,
        // One bound on what all containers' streams hold between reading and the spool.
        budget: new ByteBudget(parseBytes(docker.max_inflight_bytes)),
        onEvent: (notice) =>
          notice.type === 'rotated_away'
            ? logger.warn(
                {
                  component: 'docker_logs',
                  code: notice.error.code,
                  containerId: notice.containerId,
                  name: notice.name,
                },
                notice.error.message,
              )
            : logger.info({ component: 'docker_logs', ...notice }, 'docker_logs'),
      });
      sources.push(named('docker_logs', source));
    } else {
      logger.info(`no Docker engine at ${defaultSocket} and DOCKER_HOST is unset: the docker_logs source is off`);
    }
  }
  const files = config.sources.files;
  if (files.enabled && files.paths.length > 0) {
    const source = new FileSource({
      writer,
      state,
      telemetry,
      config: files,
      hostName,
      options: { onError: (error) => logger.warn({ component: 'file', code: error.code }, error.message) },
    });
    sources.push(named('file', source));
  }
  const syslog = new SyslogSource({
    config: config.sources.syslog,
    writer,
    telemetry,
    hostName,
    onError: (error) => logger.warn({ component: 'syslog', code: (error as { code?: string }).code }, error.message),
  });
  if (syslog.configured) sources.push(named('syslog', syslog));
  return sources;
}

function named(name: string, source: DockerLogsSource | FileSource | SyslogSource): NamedSource {
  return {
    name,
    start: () => source.start(),
    stop: (deadlineMs) => source.stop(deadlineMs),
    status: () => source.status(),
  };
}
