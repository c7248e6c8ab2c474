import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatus } from './process.js';
import { bridgeBuilt, startTestServer, type SpawnedServer } from './server.js';

// Needs `npm run build` (dist/cli/main.js); skipped otherwise.
describe.skipIf(!bridgeBuilt())('bridge test harness', () => {
  let bridge: SpawnedServer;

  beforeAll(async () => {
    bridge = await startTestServer({}, { spawn: true });
  });

  afterAll(async () => {
    await bridge?.stop();
  });

  it('starts the built server on loopback and waits for /health', async () => {
    expect(await httpStatus(`${bridge.url}/health`)).toBe(200);
    expect(await httpStatus(`${bridge.dicomweb}/studies`)).toBe(200);
    expect(bridge.peakRssKb()).toBeGreaterThan(0);
  });

  it('removes its own data folder on stop', async () => {
    await bridge.stop();
    expect(existsSync(bridge.dataDir)).toBe(false);
  });
});
