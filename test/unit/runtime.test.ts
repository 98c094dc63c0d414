import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('runs on Node.js 24 or later, from the node devDependency when the system Node is older', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(24);
  });
});
