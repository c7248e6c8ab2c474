import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isKnownSdkNodeWarning } from './s3-client.js';

const SDK_WARNING = `NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
versions published after the first week of January 2027
will require node >=22. You are running node v20.19.0.`;

describe('S3 client', () => {
  it("drops only the SDK's Node-version notice, and only on Node 20", () => {
    expect(isKnownSdkNodeWarning(SDK_WARNING, '20.19.0')).toBe(true);
    expect(isKnownSdkNodeWarning(SDK_WARNING, '22.1.0')).toBe(false);
    expect(isKnownSdkNodeWarning('DeprecationWarning: something else', '20.19.0')).toBe(false);
    expect(isKnownSdkNodeWarning(new Error('NodeVersionSupportWarning: other text'), '20.19.0')).toBe(false);
  });

  it('builds a client without printing the notice, while other warnings still print', () => {
    const script = `
      const { createS3Client } = await import('./src/archive/blob/s3-client.ts');
      createS3Client({ region: 'us-east-1' }).destroy();
      process.emitWarning('still printed');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('still printed');
    if (process.versions.node.startsWith('20.')) expect(r.stderr).not.toContain('NodeVersionSupportWarning');
  });
});
