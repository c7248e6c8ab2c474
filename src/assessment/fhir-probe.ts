/**
 * The FHIR server: reachable (TLS, HTTP), its CapabilityStatement, SMART configuration and a
 * live read of one ImagingStudy and one Patient. Reads only.
 */
import { parseCapability } from './capability.js';
import { httpProbe, isRecord, parseJson, type HttpAnswer } from './http-probe.js';
import { tlsProbe } from './tls-probe.js';
import type { Check, CheckStatus, FhirArea } from './types.js';

export interface FhirTarget {
  url: string;
  /** Authorization header value, when the server needs one. */
  authorization?: () => Promise<string | undefined>;
}

const FHIR_JSON = 'application/fhir+json, application/json;q=0.9';

/** Why an answer is not a FHIR resource of `type`, or undefined when it is. */
function notFhir(a: HttpAnswer, types: readonly string[]): string | undefined {
  const type = a.headers.get('content-type') ?? '';
  if (/html/i.test(type) || /^\s*</.test(a.text))
    return `answers HTML (${type || 'no content type'}), not FHIR JSON: a web page or login screen, not the FHIR base URL`;
  const body = parseJson(a.text);
  if (!isRecord(body)) return `answers something that is not JSON (${type || 'no content type'})`;
  if (!types.includes(String(body.resourceType)))
    return `answers a ${String(body.resourceType ?? 'JSON document')} where a ${types.join(' or ')} was expected`;
  return undefined;
}

export async function probeFhir(target: FhirTarget, o: { timeoutMs: number; now: Date }): Promise<FhirArea> {
  const base = target.url.replace(/\/+$/, '');
  const checks: Check[] = [];
  const area: FhirArea = {
    url: base,
    reachable: false,
    resources: {},
    smart: { status: 'not-probed', grantTypes: [], scopes: [] },
    checks,
  };
  const auth = await target.authorization?.().catch(() => undefined);
  const headers = { accept: FHIR_JSON, ...(auth ? { authorization: auth } : {}) };
  const url = new URL(base);
  if (url.protocol === 'https:') {
    const tls = await tlsProbe(url, o.timeoutMs, o.now);
    area.tls = tls.report;
    checks.push(tls.check);
  }
  const metadata = await httpProbe('metadata', `${base}/metadata`, {
    timeoutMs: o.timeoutMs,
    headers,
    judge: (a) => {
      if (a.status < 200 || a.status >= 300) return { status: 'failed', detail: `HTTP ${a.status}` };
      const why = notFhir(a, ['CapabilityStatement', 'Conformance']);
      return why ? { status: 'failed', detail: why } : { status: 'ok', detail: 'CapabilityStatement read' };
    },
  });
  checks.push(metadata.check);
  if (!metadata.answer) return area;
  area.reachable = true;
  if (metadata.check.status !== 'ok') return area;
  const cs = parseCapability(parseJson(metadata.answer.text) as Record<string, unknown>);
  Object.assign(area, {
    ...(cs.fhirVersion ? { fhirVersion: cs.fhirVersion } : {}),
    release: cs.release,
    ...(cs.software ? { software: cs.software } : {}),
    json: cs.json,
    resources: cs.resources,
    transaction: cs.transaction,
    batch: cs.batch,
    conditionalUpdate: cs.conditionalUpdate,
  });
  metadata.check.detail = `CapabilityStatement: FHIR ${cs.fhirVersion ?? '?'} (${cs.release})${cs.software ? `, ${cs.software}` : ''}`;
  await probeSmart(base, area, cs.oauth, o.timeoutMs);
  for (const type of ['ImagingStudy', 'Patient']) checks.push(await liveRead(base, type, headers, o.timeoutMs));
  return area;
}

async function probeSmart(
  base: string,
  area: FhirArea,
  oauth: { token?: string } | undefined,
  timeoutMs: number,
): Promise<void> {
  const wk = await httpProbe('smart-configuration', `${base}/.well-known/smart-configuration`, {
    timeoutMs,
    headers: { accept: 'application/json' },
    judge: (a) => {
      if (a.status === 404) return { status: 'off', detail: 'no SMART configuration (404)' };
      if (a.status !== 200) return { status: 'failed', detail: `HTTP ${a.status}` };
      return isRecord(parseJson(a.text))
        ? { status: 'ok', detail: 'SMART configuration read' }
        : { status: 'failed', detail: 'SMART configuration is not JSON' };
    },
  });
  area.checks.push(wk.check);
  const doc = wk.check.status === 'ok' ? (parseJson(wk.answer!.text) as Record<string, unknown>) : undefined;
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  const token = typeof doc?.token_endpoint === 'string' ? doc.token_endpoint : oauth?.token;
  area.smart = {
    status: doc ? 'ok' : wk.check.status === 'off' && !oauth ? 'absent' : oauth ? 'ok' : 'failed',
    grantTypes: list(doc?.grant_types_supported),
    scopes: list(doc?.scopes_supported),
    ...(token ? { tokenEndpoint: token } : {}),
  };
  if (!token) return;
  // Reachable is all we ask: a token request without credentials answers 400/401.
  const t = await httpProbe('token-endpoint', token, {
    timeoutMs,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
    judge: (a) =>
      a.status >= 500
        ? { status: 'failed', detail: `HTTP ${a.status}` }
        : { status: 'ok', detail: `token endpoint answers (HTTP ${a.status} without credentials)` },
  });
  area.checks.push(t.check);
  if (t.check.status !== 'ok') area.smart.status = 'failed';
}

/** Searches one resource of `type` and reads it by id. */
async function liveRead(
  base: string,
  type: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Check> {
  const name = `read ${type}`;
  const search = await httpProbe(name, `${base}/${type}?_count=1&_elements=id`, { timeoutMs, headers });
  const a = search.answer;
  if (!a) return search.check;
  if (a.status === 401 || a.status === 403)
    return { ...search.check, status: 'failed', detail: `not allowed (HTTP ${a.status}): give the assessment a token` };
  if (a.status !== 200) return search.check;
  const bundle = parseJson(a.text);
  const first = isRecord(bundle) && Array.isArray(bundle.entry) ? bundle.entry.find(isRecord) : undefined;
  const id = isRecord(first?.resource) ? first.resource.id : undefined;
  if (typeof id !== 'string')
    return { ...search.check, status: 'not-probed' as CheckStatus, detail: `search works; no ${type} to read` };
  const read = await httpProbe(name, `${base}/${type}/${encodeURIComponent(id)}`, { timeoutMs, headers });
  return { ...read.check, ms: read.check.ms + search.check.ms };
}
