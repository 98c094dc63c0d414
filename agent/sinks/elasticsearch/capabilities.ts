// What a cluster offers decides the template: a customer's full distribution
// has the richer ECS field types, a lean one (like Elastic's test build) does
// not, and 7.x has no data streams. Detection is one request; the choice is
// pure so it is unit-tested.

export interface ClusterCapabilities {
  /** Major version of the node we asked. */
  major: number;
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
  return { major: Number.parseInt(version, 10) || 0, version, modules };
}

export function chooseMappings(capabilities: ClusterCapabilities): MappingChoices {
  return {
    dataStreams:
      capabilities.major >= 8 || (capabilities.major === 7 && capabilities.modules.has('x-pack-data-streams')),
    messageType: capabilities.modules.has('mapper-extras') && capabilities.major >= 8 ? 'match_only_text' : 'text',
    constantType: capabilities.modules.has('constant-keyword') ? 'constant_keyword' : 'keyword',
  };
}
