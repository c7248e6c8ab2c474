/**
 * The DICOMweb service: QIDO-RS (and what matching it honours), WADO-RS metadata, instance,
 * frame and rendered retrieval of one found study, STOW-RS only when asked, the server's
 * identity, and the usual misconfigurations (wrong root, plugin off, auth, HTTP vs HTTPS, CORS).
 */
import { httpProbe, isRecord, notProbed, parseJson, type HttpProbeResult } from './http-probe.js';
import { stowProbe } from './stow-probe.js';
import type { Check, DicomwebArea, ProbeWord } from './types.js';

export interface DicomwebTarget {
  url: string;
  headers: Record<string, string>;
}

type Json = Record<string, { Value?: unknown[] } | undefined>;
const DICOM_JSON = 'application/dicom+json, application/json;q=0.9';
const first = (j: Json | undefined, tag: string): string | undefined => {
  const v = j?.[tag]?.Value?.[0];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
};
const word = (c: Check): ProbeWord => c.status;

/** Known server families, from the Server header or the URL. */
export function serverIdentity(url: string, serverHeader: string | null): string | undefined {
  if (serverHeader && /orthanc/i.test(serverHeader)) return serverHeader.replace('/', ' ');
  if (/healthcare\.googleapis\.com/.test(url)) return 'Google Cloud Healthcare API';
  if (/dicom\.azurehealthcareapis\.com|\.dicom\.azure/.test(url)) return 'Azure Health Data Services DICOM';
  if (/dcm4chee-arc/.test(url)) return `dcm4chee-arc${serverHeader ? ` (${serverHeader})` : ''}`;
  return serverHeader ?? undefined;
}

export async function probeDicomweb(
  target: DicomwebTarget,
  o: { timeoutMs: number; probeStow: boolean; now: Date },
): Promise<DicomwebArea> {
  const base = target.url.replace(/\/+$/, '');
  const checks: Check[] = [];
  const area: DicomwebArea = {
    url: base,
    reachable: false,
    qido: 'not-probed',
    wado: 'not-probed',
    frames: 'not-probed',
    rendered: 'not-probed',
    stow: 'not-probed',
    transferSyntaxes: [],
    checks,
  };
  const get = (name: string, path: string, accept: string, maxBytes?: number): Promise<HttpProbeResult> =>
    httpProbe(name, `${base}${path}`, {
      timeoutMs: o.timeoutMs,
      headers: { ...target.headers, accept, origin: 'https://assessment.invalid' },
      ...(maxBytes ? { maxBytes } : {}),
    });
  const qido = await httpProbe(
    'qido studies',
    `${base}/studies?limit=5&includefield=00080020,00100020,00201206,00201208`,
    {
      timeoutMs: o.timeoutMs,
      headers: { ...target.headers, accept: DICOM_JSON, origin: 'https://assessment.invalid' },
      judge: (a) => {
        if (a.status === 204) return { status: 'ok', detail: 'no studies (HTTP 204)' };
        if (a.status === 401 || a.status === 403)
          return { status: 'failed', detail: `authentication required (HTTP ${a.status}): pass --dicomweb-header` };
        if (a.status === 404) return { status: 'off', detail: 'HTTP 404: no DICOMweb service at this path' };
        if (a.status !== 200) return { status: 'failed', detail: `HTTP ${a.status}` };
        const body = parseJson(a.text);
        if (!Array.isArray(body))
          return {
            status: 'failed',
            detail: /^\s*</.test(a.text)
              ? 'answers HTML, not DICOM JSON: wrong root path?'
              : 'answer is not a DICOM JSON array',
          };
        return { status: 'ok', detail: `${body.length} studies on the first page` };
      },
    },
  );
  checks.push(qido.check);
  area.qido = word(qido.check);
  if (!qido.answer) {
    if (qido.failure?.kind === 'tls' || (qido.failure && base.startsWith('http:')))
      checks.push(await schemeHint(base, o.timeoutMs));
    return area;
  }
  area.reachable = true;
  const serverHeader = qido.answer.headers.get('server');
  area.server = serverIdentity(base, serverHeader) ?? (await orthancVersion(base, area, o.timeoutMs));
  if (qido.answer.headers.get('access-control-allow-origin') === null)
    checks.push({
      ...notProbed(
        'cors',
        qido.check.request,
        'no Access-Control-Allow-Origin: browser viewers on another origin cannot call it',
      ),
      status: 'off',
    });
  if (area.qido === 'off' || (area.qido === 'failed' && qido.answer.status !== 401 && qido.answer.status !== 403)) {
    await explainOff(base, area, o.timeoutMs);
    return area;
  }
  if (area.qido !== 'ok') return area;
  const studies = (parseJson(qido.answer.text) as Json[] | undefined) ?? [];
  const study = studies.find((s) => first(s, '0020000D'));
  if (!study) {
    for (const n of ['wado', 'frames', 'rendered'] as const)
      checks.push(notProbed(n, `${base}/studies`, 'no study found to retrieve'));
  } else {
    await probeMatching(base, target.headers, study, area, o.timeoutMs);
    await probeRetrieve(base, first(study, '0020000D')!, area, get);
  }
  if (o.probeStow) {
    const stow = await stowProbe(base, target.headers, o.timeoutMs, o.now, area.server);
    checks.push(...stow.checks);
    area.stow = stow.word;
  } else checks.push(notProbed('stow', `POST ${base}/studies`, 'not probed: writes only with --probe-stow'));
  return area;
}

/** Wildcard, date range and fuzzy matching, asked with the values of a study the server returned. */
async function probeMatching(
  base: string,
  headers: Record<string, string>,
  study: Json,
  area: DicomwebArea,
  timeoutMs: number,
) {
  const uid = first(study, '0020000D')!;
  const pid = first(study, '00100020');
  const date = first(study, '00080020');
  const finds = (a: { status: number; text: string }) => {
    const body = parseJson(a.text);
    return a.status === 200 && Array.isArray(body) && body.some((s) => first(s as Json, '0020000D') === uid);
  };
  const ask = async (name: string, query: string) => {
    const r = await httpProbe(name, `${base}/studies?${query}`, {
      timeoutMs,
      headers: { ...headers, accept: DICOM_JSON },
      judge: (a) =>
        finds(a) ? { status: 'ok', detail: 'honoured' } : { status: 'off', detail: `not honoured (HTTP ${a.status})` },
    });
    area.checks.push(r.check);
    return r.check.status === 'ok';
  };
  area.matching = {};
  if (pid && pid.length > 1)
    area.matching.wildcard = await ask('qido wildcard', `PatientID=${encodeURIComponent(`${pid.slice(0, -1)}*`)}`);
  if (date) area.matching.dateRange = await ask('qido date range', `StudyDate=${date}-${date}&StudyInstanceUID=${uid}`);
  area.matching.fuzzymatching = await ask('qido fuzzymatching', `fuzzymatching=true&StudyInstanceUID=${uid}`);
}

async function probeRetrieve(
  base: string,
  uid: string,
  area: DicomwebArea,
  get: (name: string, path: string, accept: string, maxBytes?: number) => Promise<HttpProbeResult>,
) {
  const meta = await get('wado metadata', `/studies/${uid}/metadata`, DICOM_JSON);
  area.checks.push(meta.check);
  area.wado = word(meta.check);
  const instances = meta.check.status === 'ok' ? ((parseJson(meta.answer!.text) as Json[] | undefined) ?? []) : [];
  const image = instances.find((i) => first(i, '00280010')) ?? instances[0];
  const series = first(image, '0020000E');
  const sop = first(image, '00080018');
  if (!image || !series || !sop) {
    for (const n of ['wado instance', 'frames', 'rendered'] as const)
      area.checks.push(notProbed(n, `${base}/studies/${uid}`, 'metadata named no instance'));
    return;
  }
  const ts = first(image, '00020010');
  const path = `/studies/${uid}/series/${series}/instances/${sop}`;
  const inst = await get(
    'wado instance',
    path,
    'multipart/related; type="application/dicom"; transfer-syntax=*',
    65_536,
  );
  area.checks.push(inst.check);
  if (inst.check.status !== 'ok') area.wado = 'failed';
  const offered = new Set<string>(ts ? [ts] : []);
  const partTs = /transfer-syntax=([\d.]+)/.exec(inst.answer?.text.slice(0, 2000) ?? '')?.[1];
  if (partTs) offered.add(partTs);
  area.transferSyntaxes = [...offered];
  if (inst.check.status === 'ok')
    inst.check.detail += offered.size ? `; transfer syntax ${[...offered].join(', ')}` : '';
  if (first(image, '00280010')) {
    const frames = await get(
      'frames',
      `${path}/frames/1`,
      'multipart/related; type="application/octet-stream"; transfer-syntax=*',
      65_536,
    );
    area.checks.push(frames.check);
    area.frames = word(frames.check);
  } else area.checks.push(notProbed('frames', `${base}${path}/frames/1`, 'the instance has no pixel data'));
  // One media type: Orthanc 1.10 answers 400 to a list (image/jpeg, image/png); JPEG is the one PS3.18 requires.
  const rendered = await get('rendered', `${path}/rendered`, 'image/jpeg', 65_536);
  const thumb = await get('thumbnail', `${path}/thumbnail`, 'image/jpeg', 65_536);
  area.checks.push(rendered.check, thumb.check);
  area.rendered = rendered.check.status === 'ok' || thumb.check.status === 'ok' ? 'ok' : word(rendered.check);
}

/** Orthanc sends no Server header; its REST API on the same origin names it (a read of /system). */
async function orthancVersion(base: string, area: DicomwebArea, timeoutMs: number): Promise<string | undefined> {
  const system = await httpProbe('server identity', `${new URL(base).origin}/system`, {
    timeoutMs,
    headers: { accept: 'application/json' },
    judge: (a) => {
      const body = parseJson(a.text);
      return isRecord(body) && typeof body.Version === 'string'
        ? { status: 'ok', detail: `Orthanc ${body.Version} (its REST API answers /system)` }
        : { status: 'off', detail: `no Orthanc REST API (HTTP ${a.status})` };
    },
  });
  area.checks.push(system.check);
  if (system.check.status !== 'ok') return undefined;
  return `Orthanc ${String((parseJson(system.answer!.text) as Record<string, unknown>).Version)}`;
}

/** QIDO answered 404 or HTML: is the plugin off (Orthanc answers /system), or the root path wrong? */
async function explainOff(base: string, area: DicomwebArea, timeoutMs: number) {
  const origin = new URL(base).origin;
  if (area.server?.startsWith('Orthanc')) {
    area.qido = 'off';
    return;
  }
  for (const root of ['/dicom-web', '/dicomweb', '/wado-rs', '/rs', '/dcm4chee-arc/aets/DCM4CHEE/rs']) {
    if (`${origin}${root}` === base) continue;
    const r = await httpProbe('qido other root', `${origin}${root}/studies?limit=1`, {
      timeoutMs,
      headers: { accept: DICOM_JSON },
      judge: (a) =>
        a.status === 200 && Array.isArray(parseJson(a.text))
          ? { status: 'ok', detail: `DICOMweb answers at ${origin}${root}: the configured root path is wrong` }
          : { status: 'off', detail: `HTTP ${a.status}` },
    });
    if (r.check.status === 'ok') {
      area.checks.push(r.check);
      area.qido = 'failed';
      return;
    }
  }
}

/** HTTP refused / TLS failed: does the other scheme answer? */
async function schemeHint(base: string, timeoutMs: number): Promise<Check> {
  const other = base.startsWith('https:') ? base.replace(/^https:/, 'http:') : base.replace(/^http:/, 'https:');
  const r = await httpProbe('other scheme', `${other}/studies?limit=1`, { timeoutMs, headers: { accept: DICOM_JSON } });
  return r.answer
    ? { ...r.check, status: 'ok', detail: `${other} answers (HTTP ${r.answer.status}): use ${other.split(':')[0]}` }
    : { ...r.check, status: 'off', detail: `${other.split(':')[0]} does not answer either` };
}
