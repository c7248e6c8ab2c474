/**
 * What to assess: the targets given (CLI flags or the API's body), or else what the running
 * configuration points at — the bridge's FHIR target (or the context API's EHR), the watched
 * sources (first DICOMweb, first DIMSE) and our AE title. Bad input → badRequest naming it.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { badRequest } from '../core/errors.js';
import { parseBridgeConfig } from '../bridge/sync/index.js';
import { parseFhirConfig } from '../fhir/config.js';
import { SmartBackendAuth, type FhirServerConfig } from '../fhir/client/index.js';
import { parseSources } from '../sources/index.js';
import type { AssessTargets } from './assess.js';
import { parseDimseTarget } from './dimse-probe.js';

/** What a caller may say; every field optional. */
export interface AssessRequest {
  fhir?: string;
  fhirAuth?: string;
  dicomweb?: string;
  dicomwebHeaders?: string[];
  dimse?: string;
  dicomAet?: string;
  since?: string;
  timeout?: string;
  probeStow?: boolean;
}

const UNITS = new Map([
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
  ['w', 7 * 86_400_000],
]);

/** `10s`, `500ms`, `2m` (a bare number is seconds). */
export function parseDuration(text: string, expression: string, max = 3_600_000): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNITS.get(m[2] ?? 's')! : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > max)
    throw badRequest(`${expression} must be a duration such as 10s, 500ms or 2m (at most ${max / 1000} s)`, expression);
  return ms;
}

/** `30d`, `12h`, `2w` before `now`, or a date `YYYY-MM-DD`; the start of that day (UTC). */
export function parseSince(text: string, now: Date): Date {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  let at: Date;
  if (date) at = new Date(`${text}T00:00:00Z`);
  else {
    const m = /^(\d{1,5})(h|d|w)$/.exec(text);
    if (!m) throw badRequest('since must be like 30d, 12h, 2w or a date YYYY-MM-DD', 'since');
    at = new Date(now.getTime() - Number(m[1]) * UNITS.get(m[2]!)!);
  }
  if (Number.isNaN(at.getTime()) || at.getTime() > now.getTime())
    throw badRequest('since must be a valid date in the past', 'since');
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

function httpUrl(text: string, expression: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest(`${expression} must be an http(s) URL`, expression);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw badRequest(`${expression} must be an http(s) URL`, expression);
  return text.replace(/\/+$/, '');
}

function header(text: string): [string, string] {
  const m = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+):\s*(.*)$/.exec(text);
  if (!m)
    throw badRequest(
      `dicomweb-header must be "Name: value", got ${JSON.stringify(text.slice(0, 40))}`,
      'dicomweb-header',
    );
  return [m[1]!.toLowerCase(), m[2]!];
}

function serverAuth(s: FhirServerConfig): (() => Promise<string | undefined>) | undefined {
  if (s.auth.type === 'bearer') {
    const value = `Bearer ${s.auth.token}`;
    return async () => value;
  }
  if (s.auth.type === 'smart-backend') {
    const smart = new SmartBackendAuth(s.auth, { timeoutMs: s.timeoutMs });
    return () => smart.authorization();
  }
  return undefined;
}

function fhirAuth(text: string, servers: FhirServerConfig[]): (() => Promise<string | undefined>) | undefined {
  if (text === 'none') return undefined;
  if (text.startsWith('bearer-file:')) {
    let token: string;
    try {
      token = readFileSync(text.slice('bearer-file:'.length), 'utf8').trim();
    } catch (e) {
      throw badRequest(
        `fhir-auth: cannot read the token file (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        'fhir-auth',
      );
    }
    if (!token) throw badRequest('fhir-auth: the token file is empty', 'fhir-auth');
    return async () => `Bearer ${token}`;
  }
  if (text.startsWith('smart-client:')) {
    const id = text.slice('smart-client:'.length);
    const server = servers.find((s) => s.auth.type === 'smart-backend' && s.auth.clientId === id);
    if (!server)
      throw badRequest(`fhir-auth: no server in fhir.servers authenticates as SMART client "${id}"`, 'fhir-auth');
    return serverAuth(server);
  }
  throw badRequest('fhir-auth must be none, bearer-file:FILE or smart-client:CLIENT_ID', 'fhir-auth');
}

/** The targets of `r`, each falling back to what `config` points at when `r` names no target at all. */
export function resolveTargets(r: AssessRequest, config: Config): AssessTargets {
  const fhirSection = parseFhirConfig(config.sections.fhir);
  const servers = Object.values(fhirSection.servers);
  const callingAe = r.dicomAet ?? config.dicomAet;
  if (!/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(callingAe))
    throw badRequest('dicom-aet must be 1–16 characters', 'dicom-aet');
  const explicit = r.fhir !== undefined || r.dicomweb !== undefined || r.dimse !== undefined;
  const targets: AssessTargets = { callingAe };
  if (explicit) {
    if (r.fhir !== undefined) {
      const auth = r.fhirAuth ? fhirAuth(r.fhirAuth, servers) : undefined;
      targets.fhir = { url: httpUrl(r.fhir, 'fhir'), ...(auth ? { authorization: auth } : {}) };
    } else if (r.fhirAuth) throw badRequest('fhir-auth needs --fhir', 'fhir-auth');
    if (r.dicomweb !== undefined)
      targets.dicomweb = {
        url: httpUrl(r.dicomweb, 'dicomweb'),
        headers: Object.fromEntries((r.dicomwebHeaders ?? []).map(header)),
      };
    if (r.dimse !== undefined) {
      const t = parseDimseTarget(r.dimse);
      if (!t) throw badRequest('dimse must be AET@HOST:PORT', 'dimse');
      targets.dimse = t;
    }
    return targets;
  }
  // Nothing named: what this installation is configured to talk to.
  const bridge = parseBridgeConfig(config.sections.bridge, Object.keys(fhirSection.servers));
  // The bridge's target first (where studies should arrive), else the context API's EHR.
  const context = config.sections.context as { fhirServer?: unknown } | undefined;
  const ehr = typeof context?.fhirServer === 'string' ? context.fhirServer : 'embedded';
  const name = bridge.target !== 'embedded' ? bridge.target : ehr !== 'embedded' ? ehr : undefined;
  const server = name && Object.hasOwn(fhirSection.servers, name) ? fhirSection.servers[name] : undefined;
  if (server) {
    const auth = r.fhirAuth ? fhirAuth(r.fhirAuth, servers) : serverAuth(server);
    targets.fhir = { url: server.baseUrl, ...(auth ? { authorization: auth } : {}) };
  } else targets.fhir = { url: `${config.publicUrl.replace(/\/+$/, '')}/fhir` };
  const sources = parseSources(config.sections.sources);
  const web = sources.find((s) => s.kind === 'dicomweb');
  if (web?.kind === 'dicomweb') targets.dicomweb = { url: web.url, headers: { ...web.headers } };
  const dimse = sources.find((s) => s.kind === 'dimse');
  if (dimse?.kind === 'dimse') targets.dimse = { aet: dimse.aet, host: dimse.host, port: dimse.port };
  return targets;
}
