/**
 * `--probe-stow`: stores one synthetic Secondary Capture instance (patient "ASSESSMENT^PROBE")
 * and deletes it again — DICOMweb DELETE where the server has it, Orthanc's REST API otherwise.
 * The only write the assessment ever makes; the report says so and names the study.
 */
import { randomBytes } from 'node:crypto';
import { encodePart10 } from '../dicom/index.js';
import { httpProbe, isRecord, parseJson } from './http-probe.js';
import type { Check, ProbeWord } from './types.js';

const uid = () => `2.25.${BigInt(`0x${randomBytes(16).toString('hex')}`).toString(10)}`;

export function syntheticInstance(now: Date): { bytes: Buffer; studyUid: string } {
  const studyUid = uid();
  const day = now.toISOString().slice(0, 10).replaceAll('-', '');
  const json = {
    '00080016': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] },
    '00080018': { vr: 'UI', Value: [uid()] },
    '00080020': { vr: 'DA', Value: [day] },
    '00080060': { vr: 'CS', Value: ['OT'] },
    '00081030': { vr: 'LO', Value: ['imaging-bridge assess --probe-stow (delete me)'] },
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'ASSESSMENT^PROBE' }] },
    '00100020': { vr: 'LO', Value: ['IB-ASSESSMENT-PROBE'] },
    '0020000D': { vr: 'UI', Value: [studyUid] },
    '0020000E': { vr: 'UI', Value: [uid()] },
  };
  return { bytes: encodePart10(json as never), studyUid };
}

export async function stowProbe(
  base: string,
  headers: Record<string, string>,
  timeoutMs: number,
  now: Date,
  server: string | undefined,
): Promise<{ checks: Check[]; word: ProbeWord }> {
  const { bytes, studyUid } = syntheticInstance(now);
  const boundary = `ib-${randomBytes(8).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const stored = await httpProbe('stow', `${base}/studies`, {
    timeoutMs,
    method: 'POST',
    body,
    headers: {
      ...headers,
      accept: 'application/dicom+json',
      'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
    },
    judge: (a) =>
      a.status === 200 || a.status === 202
        ? { status: 'ok', detail: `stored synthetic study ${studyUid} (HTTP ${a.status})` }
        : { status: 'failed', detail: `HTTP ${a.status}` },
  });
  if (stored.check.status !== 'ok') return { checks: [stored.check], word: stored.check.status };
  return { checks: [stored.check, await deleteStudy(base, headers, studyUid, timeoutMs, server)], word: 'ok' };
}

async function deleteStudy(
  base: string,
  headers: Record<string, string>,
  studyUid: string,
  timeoutMs: number,
  server: string | undefined,
): Promise<Check> {
  const del = await httpProbe('stow cleanup', `${base}/studies/${studyUid}`, { timeoutMs, method: 'DELETE', headers });
  if (del.check.status === 'ok') return { ...del.check, detail: `deleted the synthetic study ${studyUid}` };
  if (server?.startsWith('Orthanc')) {
    // Orthanc's DICOMweb has no DELETE; its REST API (same origin) removes the study by its Orthanc id.
    const origin = new URL(base).origin;
    const lookup = await httpProbe('stow cleanup', `${origin}/tools/lookup`, {
      timeoutMs,
      method: 'POST',
      body: studyUid,
      headers,
    });
    const found = parseJson(lookup.answer?.text ?? '');
    const id = Array.isArray(found) && isRecord(found[0]) ? String(found[0].ID) : undefined;
    if (id) {
      const gone = await httpProbe('stow cleanup', `${origin}/studies/${id}`, { timeoutMs, method: 'DELETE', headers });
      if (gone.check.status === 'ok') return { ...gone.check, detail: `deleted the synthetic study ${studyUid}` };
    }
  }
  return {
    ...del.check,
    status: 'failed',
    detail: `could not delete the synthetic study ${studyUid} (patient ASSESSMENT^PROBE): remove it by hand`,
  };
}
