/** `sources` of the config file: the watched PACS, validated at start-up (ConfigError naming the key). */
import { ConfigError } from '../core/errors.js';

export type SourceMode = 'copy' | 'metadata-only';
/** Which DICOMweb service the FHIR Endpoint of the source's studies names. */
export type SourceEndpoint = 'ours' | 'source';

interface SourceCommon {
  name: string;
  mode: SourceMode;
  /** Poll the look-back window this often. */
  pollSeconds: number;
  /** Poll window: studies whose StudyDate is within the last N days (today included). */
  lookbackDays: number;
  /** Run a full reconcile this often… */
  reconcileHours: number;
  /** …over this many days of StudyDate (0: every study, no date key). */
  reconcileDays: number;
  /** Studies synchronised at the same time. */
  concurrency: number;
  /** Per request (HTTP) or association (DIMSE). */
  timeoutSeconds: number;
}

export interface DicomwebSource extends SourceCommon {
  kind: 'dicomweb';
  /** Base URL of the DICOMweb service (…/dicom-web), no trailing slash. */
  url: string;
  /** Extra request headers, e.g. Authorization. */
  headers: Record<string, string>;
  /**
   * `ours` (default): ImagingStudy.endpoint names our DICOMweb, which serves the images (fetching
   * metadata-only ones on demand) with our authorization and audit; `source`: the PACS's URL.
   */
  endpoint: SourceEndpoint;
}

export interface DimseSource extends SourceCommon {
  kind: 'dimse';
  host: string;
  port: number;
  /** The PACS's AE title (called AE). */
  aet: string;
  /** How images come to us: C-GET on our association, or C-MOVE to our own AE (the PACS must know it). */
  retrieve: 'c-get' | 'c-move';
  tls: boolean;
}

export type SourceSettings = DicomwebSource | DimseSource;

const COMMON = [
  'name',
  'kind',
  'mode',
  'pollSeconds',
  'lookbackDays',
  'reconcileHours',
  'reconcileDays',
  'concurrency',
  'timeoutSeconds',
];
const KEYS = {
  dicomweb: [...COMMON, 'url', 'headers', 'endpoint'],
  dimse: [...COMMON, 'host', 'port', 'aet', 'retrieve', 'tls'],
};
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const AET = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;

export function parseSources(section: unknown): SourceSettings[] {
  if (section === undefined) return [];
  if (!Array.isArray(section))
    throw new ConfigError('config file "sources" must be a list of {"name", "kind": "dicomweb" | "dimse", …}');
  const seen = new Set<string>();
  return section.map((raw, i) => {
    const s = parseOne(raw, i);
    if (seen.has(s.name)) throw new ConfigError(`config file "sources"[${i}].name: "${s.name}" is used twice`);
    seen.add(s.name);
    return s;
  });
}

function parseOne(raw: unknown, i: number): SourceSettings {
  const at = (key: string) => `config file "sources"[${i}].${key}`;
  if (!isObject(raw)) throw new ConfigError(`config file "sources"[${i}] must be an object`);
  if (raw.kind !== 'dicomweb' && raw.kind !== 'dimse')
    throw new ConfigError(`${at('kind')}: expected "dicomweb" or "dimse", got ${JSON.stringify(raw.kind)}`);
  const kind = raw.kind;
  if (kind === 'dimse' && raw.endpoint !== undefined)
    throw new ConfigError(`${at('endpoint')}: a dimse source has no DICOMweb service; its studies name ours`);
  for (const key of Object.keys(raw)) {
    if (!KEYS[kind].includes(key))
      throw new ConfigError(`${at(key)}: unknown key for a ${kind} source (known: ${KEYS[kind].join(', ')})`);
  }
  if (typeof raw.name !== 'string' || !NAME.test(raw.name)) {
    throw new ConfigError(
      `${at('name')}: expected 1-64 letters, digits, "_", "." or "-", got ${JSON.stringify(raw.name)}`,
    );
  }
  const mode = raw.mode ?? 'copy';
  if (mode !== 'copy' && mode !== 'metadata-only')
    throw new ConfigError(`${at('mode')}: expected "copy" or "metadata-only", got ${JSON.stringify(mode)}`);
  const num = (key: string, fallback: number, min: number, max: number, integer = true): number => {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw new ConfigError(
        `${at(key)}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  const common: SourceCommon = {
    name: raw.name,
    mode,
    pollSeconds: num('pollSeconds', 10, 0.05, 86_400, false),
    lookbackDays: num('lookbackDays', 2, 0, 3650),
    reconcileHours: num('reconcileHours', 24, 0.001, 24 * 365, false),
    reconcileDays: num('reconcileDays', 30, 0, 36_500),
    concurrency: num('concurrency', 2, 1, 16),
    timeoutSeconds: num('timeoutSeconds', 60, 1, 3600, false),
  };
  if (common.reconcileDays !== 0 && common.reconcileDays < common.lookbackDays) {
    throw new ConfigError(
      `${at('reconcileDays')}: must cover at least lookbackDays (${common.lookbackDays}), or be 0 for every study`,
    );
  }
  if (kind === 'dicomweb') {
    const endpoint = raw.endpoint ?? 'ours';
    if (endpoint !== 'ours' && endpoint !== 'source')
      throw new ConfigError(`${at('endpoint')}: expected "ours" or "source", got ${JSON.stringify(endpoint)}`);
    let url: URL;
    try {
      url = new URL(String(raw.url));
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new ConfigError(
        `${at('url')}: expected the http(s) base URL of the DICOMweb service, got ${JSON.stringify(raw.url)}`,
      );
    }
    const headers = raw.headers ?? {};
    if (!isObject(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
      throw new ConfigError(`${at('headers')}: expected {"Header-Name": "value", …}`);
    }
    return {
      ...common,
      kind,
      url: url.href.replace(/\/+$/, ''),
      headers: headers as Record<string, string>,
      endpoint,
    };
  }
  if (typeof raw.host !== 'string' || raw.host === '')
    throw new ConfigError(`${at('host')}: expected the host name or IP address of the PACS`);
  const port = raw.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`${at('port')}: expected a port number 1-65535, got ${JSON.stringify(port)}`);
  }
  if (typeof raw.aet !== 'string' || !AET.test(raw.aet) || raw.aet.trim() === '') {
    throw new ConfigError(
      `${at('aet')}: expected the PACS's AE title (1-16 printable ASCII characters, no backslash), got ${JSON.stringify(raw.aet)}`,
    );
  }
  const retrieve = raw.retrieve ?? 'c-get';
  if (retrieve !== 'c-get' && retrieve !== 'c-move')
    throw new ConfigError(`${at('retrieve')}: expected "c-get" or "c-move", got ${JSON.stringify(retrieve)}`);
  if (raw.tls !== undefined && typeof raw.tls !== 'boolean')
    throw new ConfigError(`${at('tls')}: expected true or false`);
  return { ...common, kind, host: raw.host, port, aet: raw.aet.trim(), retrieve, tls: raw.tls === true };
}

/** How a source is named in status output: its URL, or AET@host:port. */
export function endpointOf(s: SourceSettings): string {
  return s.kind === 'dicomweb' ? s.url : `${s.aet}@${s.host}:${s.port}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
