// The name of the host the agent speaks for: `host_name` when set; else,
// with `host_root` (the agent in a container, the host's / mounted there),
// the host's own /etc/hostname under it; else this machine's name. Events,
// bundles and status all use this one answer, so an agent in a container
// does not label the host's logs with the container's id.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export function agentHostName(config: { readonly host_name?: string; readonly host_root?: string }): string {
  if (config.host_name) return config.host_name;
  if (config.host_root) {
    let text = '';
    try {
      text = readFileSync(join(config.host_root, 'etc/hostname'), 'utf8');
    } catch {
      // No readable /etc/hostname under the root: this machine's name stands in.
    }
    const name = text.split('\n')[0]?.trim();
    if (name) return name;
  }
  return hostname();
}
