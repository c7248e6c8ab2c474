import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';
import { spawnManaged, waitForHttpOk } from './process.js';

/** Repository root, resolved from this file (test/support → ../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BRIDGE_ENTRY = join(REPO_ROOT, 'dist/cli/main.js');

export interface BridgeOptions {
  /** Reuse this data folder (e.g. to restart on the same data); it is then kept on stop. */
  dataDir?: string;
  httpPort?: number;
  dicomPort?: number;
  /** Entry script; defaults to dist/cli/main.js of this repository. */
  entry?: string;
  /** Arguments for node itself, e.g. ['--max-old-space-size=256']. */
  nodeArgs?: string[];
  /** Extra CLI arguments after the standard `serve` ones. */
  extraArgs?: string[];
  /** Extra environment (TCP_NODELAY=1 is always set). */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export interface BridgeHandle {
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  /** e.g. http://127.0.0.1:40123/dicomweb */
  dicomWebUrl: string;
  httpPort: number;
  dicomPort: number;
  dataDir: string;
  pid: number;
  /** Full command line used (for reports). */
  argv: string[];
  stop(): Promise<void>;
  peakRssKb(): number;
  resetPeakRss(): boolean;
  output(): string;
}

export function bridgeBuilt(entry = BRIDGE_ENTRY): boolean {
  return existsSync(entry);
}

/** Starts `node dist/cli/main.js serve --auth none …` on loopback and waits for GET /health = 200. */
export async function startBridge(opts: BridgeOptions = {}): Promise<BridgeHandle> {
  const entry = opts.entry ?? BRIDGE_ENTRY;
  if (!bridgeBuilt(entry)) throw new Error(`${entry} not found: run \`npm run build\` first`);
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'ib-bridge-'));
  const httpPort = opts.httpPort ?? (await freePort());
  let dicomPort = opts.dicomPort ?? (await freePort());
  for (let i = 0; dicomPort === httpPort && i < 5; i++) dicomPort = await freePort();
  const argv = [
    ...(opts.nodeArgs ?? []),
    entry,
    'serve',
    '--auth',
    'none',
    '--host',
    '127.0.0.1',
    '--http-port',
    String(httpPort),
    '--dicom-port',
    String(dicomPort),
    '--data-dir',
    dataDir,
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawnManaged(process.execPath, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env, TCP_NODELAY: '1' },
    name: 'ImagingBridge',
  });
  const url = `http://127.0.0.1:${httpPort}`;
  const cleanup = (): void => {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHttpOk(`${url}/health`, proc, opts.startTimeoutMs ?? 30_000, 'ImagingBridge');
  } catch (err) {
    await proc.stop(2_000);
    cleanup();
    throw err;
  }
  return {
    url,
    dicomWebUrl: `${url}/dicomweb`,
    httpPort,
    dicomPort,
    dataDir,
    pid: proc.pid,
    argv: [process.execPath, ...argv],
    peakRssKb: proc.peakRssKb,
    resetPeakRss: proc.resetPeakRss,
    output: proc.output,
    stop: async () => {
      await proc.stop();
      cleanup();
    },
  };
}
