/**
 * The DIMSE peer: one association proposing Verification, Study Root Q/R (FIND, GET, MOVE) and
 * the common storage classes each with one transfer syntax per context (so the answer says
 * which syntaxes it accepts), then C-ECHO and a study-level C-FIND. C-GET and C-MOVE are
 * negotiation only: nothing is retrieved.
 */
import { openAssociation, cEchoOn, cFindOn, type ProposedContext } from '../dimse/scu/index.js';
import { statusHex } from '../core/dicom-status.js';
import type { Check, DimseArea, ProbeWord } from './types.js';

export interface DimseTarget {
  aet: string;
  host: string;
  port: number;
  callingAe: string;
}

const VERIFICATION = '1.2.840.10008.1.1';
const FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const GET = '1.2.840.10008.5.1.4.1.2.2.3';
const IMPLICIT = '1.2.840.10008.1.2';

export const STORAGE_PROBED: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.5.1.4.1.1.2', 'CT Image Storage'],
  ['1.2.840.10008.5.1.4.1.1.4', 'MR Image Storage'],
  ['1.2.840.10008.5.1.4.1.1.1.1', 'Digital X-Ray Image Storage – For Presentation'],
  ['1.2.840.10008.5.1.4.1.1.6.1', 'Ultrasound Image Storage'],
  ['1.2.840.10008.5.1.4.1.1.7', 'Secondary Capture Image Storage'],
  ['1.2.840.10008.5.1.4.1.1.88.33', 'Comprehensive SR Storage'],
]);

export const SYNTAXES_PROBED: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10008.1.2', 'Implicit VR Little Endian'],
  ['1.2.840.10008.1.2.1', 'Explicit VR Little Endian'],
  ['1.2.840.10008.1.2.4.50', 'JPEG Baseline'],
  ['1.2.840.10008.1.2.4.70', 'JPEG Lossless'],
  ['1.2.840.10008.1.2.4.80', 'JPEG-LS Lossless'],
  ['1.2.840.10008.1.2.4.90', 'JPEG 2000 Lossless'],
  ['1.2.840.10008.1.2.5', 'RLE Lossless'],
]);

/** Parses `AET@host:port` (IPv6 hosts in brackets); undefined when malformed. */
export function parseDimseTarget(text: string): { aet: string; host: string; port: number } | undefined {
  const m = /^([^@]{1,16})@(\[[^\]]+\]|[^:@]+):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { aet: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

function contexts(): ProposedContext[] {
  const out: ProposedContext[] = [VERIFICATION, FIND, MOVE, GET].map((a) => ({
    abstractSyntax: a,
    transferSyntaxes: [IMPLICIT],
  }));
  for (const sop of STORAGE_PROBED.keys())
    for (const ts of SYNTAXES_PROBED.keys()) out.push({ abstractSyntax: sop, transferSyntaxes: [ts] });
  return out;
}

export async function probeDimse(t: DimseTarget, o: { timeoutMs: number; since: string }): Promise<DimseArea> {
  const where = `${t.aet}@${t.host}:${t.port}`;
  const checks: Check[] = [];
  const area: DimseArea = {
    target: where,
    association: 'not-probed',
    echo: 'not-probed',
    find: 'not-probed',
    get: 'not-probed',
    move: 'not-probed',
    sopClasses: [],
    checks,
  };
  // A peer that never answers a request must not hold the assessment longer than --timeout.
  const timed = async <T>(fn: () => Promise<T>) => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
    });
    try {
      return { value: await Promise.race([fn(), late]), ms: Math.round(performance.now() - started) };
    } catch (e) {
      return { error: (e as Error).message, ms: Math.round(performance.now() - started) };
    } finally {
      clearTimeout(timer);
    }
  };
  const opened = await timed(() =>
    openAssociation(
      { host: t.host, port: t.port, tls: false },
      { callingAe: t.callingAe, calledAe: t.aet, contexts: contexts(), maxPduLength: 262_144, timeoutMs: o.timeoutMs },
    ),
  );
  const request = `A-ASSOCIATE ${t.callingAe} → ${where}`;
  if (!('value' in opened) || !opened.value) {
    const rejected = /rejected/i.test(opened.error ?? '');
    area.association = rejected ? 'rejected' : 'failed';
    checks.push({ name: 'association', status: 'failed', request, ms: opened.ms, detail: opened.error ?? 'failed' });
    return area;
  }
  const assoc = opened.value;
  area.association = 'ok';
  try {
    const accepted = (sop: string) => assoc.accepted(sop);
    for (const [uid, name] of STORAGE_PROBED) {
      const ts = accepted(uid);
      if (ts.length > 0) area.sopClasses.push({ uid, name, transferSyntaxes: [...new Set(ts)] });
    }
    checks.push({
      name: 'association',
      status: 'ok',
      request,
      ms: opened.ms,
      detail: `accepted; ${area.sopClasses.length} of ${STORAGE_PROBED.size} storage classes probed accepted`,
    });
    const negotiated = (name: 'get' | 'move', uid: string): ProbeWord => {
      const ok = accepted(uid).length > 0;
      checks.push({
        name: `C-${name.toUpperCase()} negotiation`,
        status: ok ? 'ok' : 'off',
        request: `propose ${uid}`,
        ms: 0,
        detail: ok ? 'Study Root accepted (nothing retrieved)' : 'not accepted',
      });
      return ok ? 'ok' : 'off';
    };
    area.get = negotiated('get', GET);
    area.move = negotiated('move', MOVE);
    if (accepted(VERIFICATION).length > 0) {
      const echo = await timed(() => cEchoOn(assoc));
      const status = 'value' in echo ? echo.value : undefined;
      area.echo = status === 0 ? 'ok' : 'failed';
      checks.push({
        name: 'C-ECHO',
        status: area.echo,
        request: `C-ECHO ${where}`,
        ...(status !== undefined ? { dimseStatus: status } : {}),
        ms: echo.ms,
        detail:
          status === 0 ? 'success' : (echo.error ?? `status ${status === undefined ? 'none' : statusHex(status)}`),
      });
    } else area.echo = 'off';
    if (accepted(FIND).length > 0) {
      const find = await timed(() =>
        cFindOn(assoc, 'STUDY', { StudyDate: `${o.since}-`, StudyInstanceUID: '', NumberOfStudyRelatedInstances: '' }),
      );
      const v = 'value' in find ? find.value : undefined;
      area.find = v?.status === 0 ? 'ok' : 'failed';
      checks.push({
        name: 'C-FIND study',
        status: area.find,
        request: `C-FIND STUDY StudyDate=${o.since}- ${where}`,
        ...(v ? { dimseStatus: v.status } : {}),
        ms: find.ms,
        detail: v ? `${v.answers.length} studies` : (find.error ?? 'failed'),
      });
    } else area.find = 'off';
  } finally {
    if (checks.some((c) => /no answer within/.test(c.detail))) assoc.abort();
    else await assoc.release().catch(() => assoc.abort());
  }
  return area;
}
