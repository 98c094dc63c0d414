import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

describe('ssh2 on demand (docker-modem ssh:// engines)', () => {
  it('builds a real ssh2 client when docker-modem makes an SSH connection', () => {
    const shim = require('../../bin/ssh2-on-demand.cjs') as { Client: new () => unknown };
    const real = createRequire(require.resolve('docker-modem'))('ssh2') as { Client: new () => unknown };
    const client = new shim.Client();
    expect(client).toBeInstanceOf(real.Client);
    expect(typeof (client as { connect?: unknown }).connect).toBe('function');
  });
});
