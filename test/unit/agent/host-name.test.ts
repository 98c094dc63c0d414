// Which host name the agent puts on events and bundles.
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentHostName } from '../../../agent/host-name.ts';
import { tempDir } from '../../helpers/temp.ts';

describe('agentHostName', () => {
  it('is host_name when it is set, whatever the host root says', () => {
    expect(agentHostName({ host_name: 'app-01', host_root: '/nonexistent' })).toBe('app-01');
  });

  it("is the host's /etc/hostname under host_root, for an agent in a container", () => {
    const root = tempDir('shiplog-host-root-');
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/hostname'), 'bank-host-07\n');
    expect(agentHostName({ host_root: root })).toBe('bank-host-07');
  });

  it("is this machine's name without a root, or when the root has no readable hostname", () => {
    expect(agentHostName({})).toBe(hostname());
    expect(agentHostName({ host_root: tempDir('shiplog-empty-root-') })).toBe(hostname());
  });
});
