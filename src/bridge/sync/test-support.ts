/** Helpers of the bridge tests: polling, STOW, FHIR reads and IOCM rejection notes as Part 10 files. */
import { encodePart10, type DicomJson } from '../../dicom/index.js';
import { KEY_OBJECT_SELECTION } from '../../archive/rejection-note.js';

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with the last value seen. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function multipart(files: Buffer[], boundary = 'bridge-test-boundary'): { body: Buffer; contentType: string } {
  const parts: Buffer[] = [];
  for (const f of files)
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(parts),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

export async function stow(baseUrl: string, files: Buffer[]): Promise<number> {
  const { body, contentType } = multipart(files);
  const res = await fetch(`${baseUrl}/dicomweb/studies`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export async function getJson(url: string, init?: RequestInit): Promise<Json> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The ImagingStudy resources of a study in the FHIR server at `fhirBase`. */
export async function imagingStudies(fhirBase: string, studyUid: string): Promise<Json[]> {
  const res = await fetch(
    `${fhirBase}/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${studyUid}`)}`,
  );
  const bundle = (await res.json()) as Json;
  return (bundle.entry ?? []).map((e: Json) => e.resource);
}

export interface RejectionOptions {
  study: string;
  series: string;
  sop: string;
  patientId?: string;
  rejected: { series: string; sop: string; classUid?: string }[];
  code?: string;
  meaning?: string;
}

const CT = '1.2.840.10008.5.1.4.1.1.2';

/** An IHE IOCM rejection note: Key Object Selection titled (113001, DCM) by default. */
export function rejectionNote(o: RejectionOptions): Buffer {
  const bySeries = new Map<string, { sop: string; classUid?: string }[]>();
  for (const r of o.rejected) bySeries.get(r.series)?.push(r) ?? bySeries.set(r.series, [r]);
  const json: DicomJson = {
    '00080016': { vr: 'UI', Value: [KEY_OBJECT_SELECTION] },
    '00080018': { vr: 'UI', Value: [o.sop] },
    '00080060': { vr: 'CS', Value: ['KO'] },
    '00100020': { vr: 'LO', Value: [o.patientId ?? 'P1'] },
    '0020000D': { vr: 'UI', Value: [o.study] },
    '0020000E': { vr: 'UI', Value: [o.series] },
    '00200011': { vr: 'IS', Value: [999] },
    '00200013': { vr: 'IS', Value: [1] },
    '0040A043': {
      vr: 'SQ',
      Value: [
        {
          '00080100': { vr: 'SH', Value: [o.code ?? '113001'] },
          '00080102': { vr: 'SH', Value: ['DCM'] },
          '00080104': { vr: 'LO', Value: [o.meaning ?? 'Rejected for Quality Reasons'] },
        },
      ],
    },
    '0040A375': {
      vr: 'SQ',
      Value: [
        {
          '0020000D': { vr: 'UI', Value: [o.study] },
          '00081115': {
            vr: 'SQ',
            Value: [...bySeries].map(([series, sops]) => ({
              '0020000E': { vr: 'UI', Value: [series] },
              '00081199': {
                vr: 'SQ',
                Value: sops.map((s) => ({
                  '00081150': { vr: 'UI', Value: [s.classUid ?? CT] },
                  '00081155': { vr: 'UI', Value: [s.sop] },
                })),
              },
            })),
          },
        },
      ],
    },
  };
  return encodePart10(json);
}
