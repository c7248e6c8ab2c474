/**
 * The one server launcher of the tests: the real ImagingBridge (real sockets, SQLite, files) on a free
 * loopback port, either in this process (`startServer` from src/main.ts) or as a child process
 * (`node dist/cli/main.js serve …`, for tests and benchmarks that measure or kill the process).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/logger.js';
import type { FastifyInstance } from 'fastify';
import type { RouteRule } from '../../src/http/security/access-control.js';
import { startServer } from '../../src/main.js';
import { freePort } from './ports.js';
import { spawnManaged, waitForHttpOk } from './process.js';

/** Repository root, resolved from this file (test/support → ../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BRIDGE_ENTRY = join(REPO_ROOT, 'dist/cli/main.js');

export function bridgeBuilt(entry = BRIDGE_ENTRY): boolean {
  return existsSync(entry);
}

interface RunningServer {
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  /** e.g. http://127.0.0.1:40123/dicomweb */
  dicomweb: string;
  dataDir: string;
  /** DIMSE port (our AE title is IMGBRIDGE unless --dicom-aet says otherwise). */
  dicomPort: number;
  stop(): Promise<void>;
}

/** A server started in this process. */
export interface TestServer extends RunningServer {
  /** Every HTTP route with its access rule, as the running server registered them. */
  routes(): readonly RouteRule[];
  /** Fastify's `inject`: one request served in process, without the socket. */
  inject: FastifyInstance['inject'];
}

/** A server started as a child process. */
export interface SpawnedServer extends RunningServer {
  httpPort: number;
  pid: number;
  /** Full command line used (for reports). */
  argv: string[];
  peakRssKb(): number;
  resetPeakRss(): boolean;
  output(): string;
}

export interface SpawnOptions {
  /** Entry script; defaults to dist/cli/main.js of this repository. */
  entry?: string;
  /** Arguments for node itself, e.g. ['--max-old-space-size=256'] or ['--import', 'tsx']. */
  nodeArgs?: string[];
  /** Extra CLI arguments after the flags (e.g. ['--demo']). */
  args?: string[];
  /** Extra environment (TCP_NODELAY=1 is always set). */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export interface TestServerOptions {
  /** Written to a config file passed with --config (e.g. { dimse: { peers: … } }). */
  configFile?: Record<string, unknown>;
  /** In process only: application logs (JSON lines) go here at --log-level debug instead of nowhere. */
  logTo?: { write(line: string): unknown };
  /** In process only: typed settings that have no flag (e.g. auditBusyTimeoutMs), over those of the flags. */
  config?: Partial<Config>;
}

/**
 * Starts the server with `serve` flags (without the dashes), authorization off unless `flags.auth` says
 * otherwise. A suite that restarts on the same data passes its own `data-dir` (and removes it itself);
 * otherwise a temporary folder is used and removed on stop.
 */
/** With `spawn`: `serve` runs in a child process instead of in this one. */
export function startTestServer(
  flags: Record<string, string>,
  opts: TestServerOptions & { spawn: SpawnOptions | true },
): Promise<SpawnedServer>;
export function startTestServer(flags?: Record<string, string>, opts?: TestServerOptions): Promise<TestServer>;
export async function startTestServer(
  flags: Record<string, string> = {},
  opts: TestServerOptions & { spawn?: SpawnOptions | true } = {},
): Promise<TestServer | SpawnedServer> {
  const ownDir = mkdtempSync(join(tmpdir(), 'ib-test-'));
  const dataDir = flags['data-dir'] ?? ownDir;
  const configFlag: Record<string, string> = {};
  if (opts.configFile) {
    configFlag.config = join(ownDir, 'test-config.json');
    writeFileSync(configFlag.config, JSON.stringify(opts.configFile));
  }
  const cleanup = (): void => {
    rmSync(ownDir, { recursive: true, force: true });
    // The audit key and its checkpoint live beside the data dir (default --audit-key-file).
    if (dataDir === ownDir)
      for (const f of [`${ownDir}.audit-key`, `${ownDir}.audit-key.checkpoint`]) rmSync(f, { force: true });
  };
  try {
    const all = { 'data-dir': dataDir, ...configFlag, ...flags };
    if (opts.spawn && opts.config)
      throw new Error('startTestServer: `config` applies in process only, not with `spawn`');
    if (opts.spawn) return await spawnServer(all, opts.spawn === true ? {} : opts.spawn, cleanup);
    return await inProcessServer(all, opts, cleanup);
  } catch (err) {
    cleanup();
    throw err;
  }
}

async function inProcessServer(
  flags: Record<string, string>,
  opts: TestServerOptions,
  cleanup: () => void,
): Promise<TestServer> {
  // DIMSE on port 0 (the kernel picks one): suites run in parallel.
  const loaded = loadConfig(
    {
      'http-port': String(await freePort()),
      'dicom-port': '0',
      'log-level': 'silent',
      // Suites about other features run without authorization; security suites pass --auth smart.
      auth: 'none',
      ...flags,
    },
    {},
  );
  const config: Config = { ...loaded, ...opts.config };
  const server = await startServer(config, opts.logTo ? createLogger('debug', opts.logTo) : createLogger('silent'));
  return {
    url: server.httpUrl,
    dicomweb: `${server.httpUrl}/dicomweb`,
    dataDir: flags['data-dir']!,
    dicomPort: server.dicomPort,
    routes: () => server.routes(),
    inject: server.inject,
    stop: async () => {
      await server.close();
      cleanup();
    },
  };
}

async function spawnServer(
  flags: Record<string, string>,
  opts: SpawnOptions,
  cleanup: () => void,
): Promise<SpawnedServer> {
  const entry = opts.entry ?? BRIDGE_ENTRY;
  if (!bridgeBuilt(entry)) throw new Error(`${entry} not found: run \`npm run build\` first`);
  const httpPort = flags['http-port'] ? Number(flags['http-port']) : await freePort();
  let dicomPort = flags['dicom-port'] ? Number(flags['dicom-port']) : await freePort();
  for (let i = 0; dicomPort === httpPort && i < 5; i++) dicomPort = await freePort();
  const all = new Map(
    Object.entries({
      auth: 'none',
      host: '127.0.0.1',
      ...flags,
      'http-port': String(httpPort),
      'dicom-port': String(dicomPort),
    }),
  );
  const argv = [
    ...(opts.nodeArgs ?? []),
    entry,
    'serve',
    ...[...all].flatMap(([k, v]) => [`--${k}`, v]),
    ...(opts.args ?? []),
  ];
  const proc = spawnManaged(process.execPath, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env, TCP_NODELAY: '1' },
    name: 'ImagingBridge',
  });
  const url = `http://127.0.0.1:${httpPort}`;
  try {
    await waitForHttpOk(`${url}/health`, proc, opts.startTimeoutMs ?? 30_000, 'ImagingBridge');
  } catch (err) {
    await proc.stop(2_000);
    throw err;
  }
  return {
    url,
    dicomweb: `${url}/dicomweb`,
    httpPort,
    dicomPort,
    dataDir: flags['data-dir']!,
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
