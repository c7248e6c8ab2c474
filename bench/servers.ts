/**
 * The two servers under test behind one interface. Each start() runs one process on a
 * given data folder (the caller owns the folder, so restarts keep the data).
 */
import { bridgeBuilt, startTestServer, type SpawnedServer } from '../test/support/server.js';
import {
  buildOrthancConfig,
  orthancVersion,
  startOrthanc,
  type JsonObject,
  type OrthancHandle,
} from '../test/support/orthanc.js';
import { freePorts } from '../test/support/ports.js';

export type Side = 'ours' | 'orthanc';

/** Our DIMSE SCP's AE title when the configuration does not set one (src/dimse/settings.ts). */
export const BRIDGE_AE_TITLE = 'IMGBRIDGE';

export interface RunningServer {
  side: Side;
  dicomWebUrl: string;
  /** The DIMSE listener (loopback): port and called AE title. */
  dimse: { port: number; aet: string };
  pid: number;
  peakRssKb(): number;
  resetPeakRss(): boolean;
  output(): string;
  stop(): Promise<void>;
}

export interface ServerFactory {
  side: Side;
  label: string;
  start(dir: string, opts?: StartOptions): Promise<RunningServer>;
  /**
   * Set when the server keeps its stores in PostgreSQL (`--backend postgres`): a fresh, empty
   * database a workload fills directly (SCALE, P9) before `start(dir, { database })` on it.
   */
  freshDatabase?(): Promise<string>;
  /** What to print in the report as this server's configuration. */
  describe(): JsonObject;
}

export interface StartOptions {
  /** The postgres:// URL of a database made by freshDatabase() and filled: start on it instead of a fresh one. */
  database?: string;
  /**
   * `--backend postgres` with S3: the bucket prefix of this start instead of a fresh one. Several
   * processes on one `database` pass the same prefix: they share one archive (SCALEOUT).
   */
  blobPrefix?: string;
  /** More `serve` arguments for this start only (e.g. the audit key file the processes of one database share). */
  args?: string[];
}

export interface BridgeFactoryOptions {
  /** Entry script instead of dist/cli/main.js (e.g. a build elsewhere). */
  entry?: string;
  nodeArgs?: string[];
  extraArgs?: string[];
  /** Extra environment for the server process (e.g. the S3 endpoint and credentials). */
  env?: Record<string, string>;
}

/**
 * The environment `npm start` gives the server (package.json): glibc's malloc held to two arenas
 * (docs/ingest-memory.md). BENCH_SERVER_ENV='K=V K=V' replaces it, for A/B.
 */
export const START_ENV: Record<string, string> = process.env.BENCH_SERVER_ENV
  ? Object.fromEntries(
      process.env.BENCH_SERVER_ENV.split(/\s+/)
        .filter(Boolean)
        // At the first '=' only: a value may hold one (NODE_OPTIONS=--max-semi-space-size=4).
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
    )
  : { MALLOC_ARENA_MAX: '2' };

/**
 * The node options `npm start` gives the server (package.json): none. BENCH_SERVER_NODE_ARGS='ARG
 * ARG' sets some, for A/B (e.g. `--max-semi-space-size=8`: −20 MB of P3 peak for ≈ +20 % of
 * server CPU, docs/ingest-memory.md, session 19).
 */
export const START_NODE_ARGS: string[] = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

export function bridgeFactory(opts: BridgeFactoryOptions = {}): ServerFactory {
  let lastArgv: string[] = [];
  return {
    side: 'ours',
    label: 'ImagingBridge',
    async start(dir) {
      if (!bridgeBuilt(opts.entry))
        throw new Error(`${opts.entry ?? 'dist/cli/main.js'} is missing: run \`npm run build\` first`);
      const handle: SpawnedServer = await startTestServer(
        { 'data-dir': dir },
        // Started as `npm start` starts it (START_ENV), plus the factory's own variables (S3).
        {
          spawn: {
            entry: opts.entry,
            nodeArgs: [...START_NODE_ARGS, ...(opts.nodeArgs ?? [])],
            args: opts.extraArgs,
            env: { ...opts.env, ...START_ENV },
            // A start on PostgreSQL (schema migrations) on a loaded machine can take longer than 30 s.
            startTimeoutMs: 120_000,
          },
        },
      );
      lastArgv = handle.argv;
      return {
        side: 'ours',
        ...pick(handle),
        dicomWebUrl: handle.dicomweb,
        dimse: { port: handle.dicomPort, aet: BRIDGE_AE_TITLE },
      };
    },
    describe: () => ({
      command: lastArgv.length ? lastArgv.join(' ') : 'node dist/cli/main.js serve --auth none --host 127.0.0.1 …',
      env: { TCP_NODELAY: '1', ...START_ENV },
      durability: 'fsync before acknowledging (not switchable)',
    }),
  };
}

export function orthancFactory(): ServerFactory {
  let version = '';
  return {
    side: 'orthanc',
    label: 'Orthanc',
    async start(dir) {
      const [httpPort, dicomPort] = await freePorts(2);
      const handle: OrthancHandle = await startOrthanc({ httpPort: httpPort!, dicomPort: dicomPort!, dir });
      return {
        side: 'orthanc',
        ...pick(handle),
        dicomWebUrl: handle.dicomWebUrl,
        dimse: { port: handle.dicomPort, aet: handle.aet },
      };
    },
    describe: () => {
      version ||= orthancVersion();
      return {
        version,
        env: { TCP_NODELAY: '1' },
        config: {
          ...buildOrthancConfig({ httpPort: 0, dicomPort: 0, dir: '<temp>' }),
          HttpPort: '<free loopback port>',
          DicomPort: '<free loopback port>',
        },
        note: 'bench/orthanc-peer.json with storage paths and ports rewritten (free loopback ports)',
      };
    },
  };
}

function pick(h: SpawnedServer | OrthancHandle): Omit<RunningServer, 'side' | 'dicomWebUrl' | 'dimse'> {
  return { pid: h.pid, peakRssKb: h.peakRssKb, resetPeakRss: h.resetPeakRss, output: h.output, stop: h.stop };
}
