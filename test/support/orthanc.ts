import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnManaged, waitForHttpOk } from './process.js';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';
export const ORTHANC_DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

/** The project's own copy of the peer configuration (bench/orthanc-peer.json). */
export const PEER_CONFIG_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/orthanc-peer.json');

export type JsonObject = { [key: string]: unknown };

export interface OrthancOptions {
  httpPort: number;
  dicomPort: number;
  aet?: string;
  /** Deep-merged over the peer config (objects merge, everything else replaces), e.g. DicomModalities. */
  extraConfig?: object;
  /** Reuse this folder (e.g. to restart on the same storage); it is then kept on stop. */
  dir?: string;
  /** Base configuration file; defaults to bench/orthanc-peer.json. */
  baseConfigPath?: string;
  /** Extra environment for the Orthanc process (TCP_NODELAY=1 is always set). */
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

export interface OrthancHandle {
  /** Base URL of the REST API, e.g. http://127.0.0.1:18042 (no trailing slash). */
  url: string;
  /** Base URL of the DICOMweb API, e.g. http://127.0.0.1:18042/dicom-web. */
  dicomWebUrl: string;
  dicomPort: number;
  aet: string;
  dir: string;
  pid: number;
  /** The configuration Orthanc was started with. */
  config: JsonObject;
  stop(): Promise<void>;
  peakRssKb(): number;
  resetPeakRss(): boolean;
  output(): string;
}

export function orthancAvailable(): boolean {
  try {
    accessSync(ORTHANC_BINARY, constants.X_OK);
    accessSync(ORTHANC_DICOMWEB_PLUGIN, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** `Orthanc --version` first line, or 'unknown'. */
export function orthancVersion(): string {
  try {
    return execFileSync(ORTHANC_BINARY, ['--version'], { encoding: 'utf8', timeout: 5_000 }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepMerge(base: JsonObject, extra: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

/** The peer configuration with storage paths, ports and AET rewritten, merged with extraConfig. */
export function buildOrthancConfig(opts: OrthancOptions & { dir: string }): JsonObject {
  const base = JSON.parse(readFileSync(opts.baseConfigPath ?? PEER_CONFIG_PATH, 'utf8')) as JsonObject;
  const storage = join(opts.dir, 'db');
  const rewritten: JsonObject = {
    ...base,
    StorageDirectory: storage,
    IndexDirectory: storage,
    HttpPort: opts.httpPort,
    DicomPort: opts.dicomPort,
    DicomAet: opts.aet ?? base.DicomAet ?? 'ORTHANC',
  };
  return opts.extraConfig ? deepMerge(rewritten, opts.extraConfig as JsonObject) : rewritten;
}

function dicomWebRoot(config: JsonObject): string {
  const dw = config.DicomWeb;
  const root = isPlainObject(dw) && typeof dw.Root === 'string' ? dw.Root : '/dicom-web/';
  return root.replace(/\/+$/, '');
}

/** Starts Orthanc on loopback with a fresh (or given) storage folder; resolves once GET /system answers 200. */
export async function startOrthanc(opts: OrthancOptions): Promise<OrthancHandle> {
  if (!orthancAvailable()) throw new Error(`Orthanc is not installed (${ORTHANC_BINARY}, ${ORTHANC_DICOMWEB_PLUGIN})`);
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ib-orthanc-'));
  mkdirSync(join(dir, 'db'), { recursive: true });
  const config = buildOrthancConfig({ ...opts, dir });
  const configPath = join(dir, 'orthanc.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const proc = spawnManaged(ORTHANC_BINARY, [configPath], {
    cwd: dir,
    env: { ...process.env, ...opts.env, TCP_NODELAY: '1' },
    name: 'Orthanc',
  });
  const url = `http://127.0.0.1:${opts.httpPort}`;
  const cleanup = (): void => {
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForHttpOk(`${url}/system`, proc, opts.startTimeoutMs ?? 30_000, 'Orthanc');
  } catch (err) {
    await proc.stop(2_000);
    cleanup();
    throw err;
  }
  return {
    url,
    dicomWebUrl: `${url}${dicomWebRoot(config)}`,
    dicomPort: opts.dicomPort,
    aet: String(config.DicomAet),
    dir,
    pid: proc.pid,
    config,
    peakRssKb: proc.peakRssKb,
    resetPeakRss: proc.resetPeakRss,
    output: proc.output,
    stop: async () => {
      await proc.stop();
      cleanup();
    },
  };
}
