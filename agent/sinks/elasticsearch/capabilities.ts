// What a cluster offers decides the template: a customer's full distribution
// has the richer ECS field types, a lean one (like Elastic's test build) does
// not, 7.x before 7.8 has only legacy templates, and 7.x without its x-pack
// data-streams module has no data streams. Detection is one request; the
// choice is pure so it is unit-tested.

export interface ClusterCapabilities {
  /** Major and minor version of the node we asked. */
  major: number;
  minor: number;
  version: string;
  /** Module and plugin names the node reports. */
  modules: ReadonlySet<string>;
}

export interface MappingChoices {
  dataStreams: boolean;
  /** `match_only_text` saves disk for log messages; falls back to `text`. */
  messageType: 'match_only_text' | 'text';
  /** `constant_keyword` for data_stream.* fields; falls back to `keyword`. */
  constantType: 'constant_keyword' | 'keyword';
  /** Composable templates (`_index_template`, 7.8+) or legacy ones (`_template`). */
  templateApi: 'composable' | 'legacy';
  /**
   * Docker labels are dotted (`com.docker.compose.project` beside
   * `com.docker.compose.project.working_dir`), which as object fields would
   * need one key to be a string and an object at once. `flattened` (7.3+,
   * x-pack) keeps them as they are; without it the encoder replaces the dots
   * in label keys with `_`, as Beats' labels.dedot does.
   */
  labels: 'flattened' | 'dedot';
}

interface NodesInfo {
  nodes?: Record<string, { version?: string; modules?: Array<{ name?: string }>; plugins?: Array<{ name?: string }> }>;
}

export function parseNodesInfo(body: unknown): ClusterCapabilities {
  const nodes = Object.values((body as NodesInfo)?.nodes ?? {});
  const node = nodes[0];
  const version = node?.version ?? '0.0.0';
  const modules = new Set<string>();
  for (const entry of [...(node?.modules ?? []), ...(node?.plugins ?? [])]) if (entry.name) modules.add(entry.name);
  const [major, minor] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return { major: major ?? 0, minor: minor ?? 0, version, modules };
}

export function chooseMappings(capabilities: ClusterCapabilities): MappingChoices {
  const { major, minor, modules } = capabilities;
  const seven = (atLeast: number) => major === 7 && minor >= atLeast;
  // In 7.x flattened is x-pack's (a module of its own before it moved into
  // x-pack-core); since 8.0 every distribution has it.
  const flattened =
    major >= 8 || (seven(3) && ['x-pack-core', 'flattened', 'mapper-flattened'].some((name) => modules.has(name)));
  return {
    dataStreams: major >= 8 || (seven(9) && modules.has('x-pack-data-streams')),
    messageType: modules.has('mapper-extras') && major >= 8 ? 'match_only_text' : 'text',
    constantType: modules.has('constant-keyword') ? 'constant_keyword' : 'keyword',
    templateApi: major >= 8 || seven(8) ? 'composable' : 'legacy',
    labels: flattened ? 'flattened' : 'dedot',
  };
}
