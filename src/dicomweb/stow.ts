import type { Archive } from '../archive/archive.js';
import type { StoreOutcome } from '../archive/types.js';
import { OperationOutcomeError, StoreError, badRequest, unsupportedMediaType } from '../core/errors.js';
import { DicomStatus, statusHex } from '../core/dicom-status.js';
import type { DicomJson } from '../dicom/types.js';
import { MultipartError, parseMediaType, readMultipart } from './multipart.js';
import { retrieveUrl } from './urls.js';

export interface StowRequest {
  contentType: string | undefined;
  body: AsyncIterable<Buffer>;
  /** Set for POST /studies/{study}. */
  studyUid?: string;
}

export interface StowResponse {
  status: number;
  body: DicomJson;
  /** Human-readable reasons, sent as Warning headers. */
  warnings: string[];
}

interface PartResult {
  outcome?: StoreOutcome;
  failure?: { status: number; message: string; sopClassUid?: string; sopUid?: string };
}

/** Parts stored concurrently: receiving part N+1 overlaps the fsyncs and commit of part N. */
const MAX_IN_FLIGHT = 32;

/** STOW-RS (PS3.18 10.5): store each part through the archive and answer with a Store Instances Response. */
export async function stow(req: StowRequest, ports: { archive: Archive; publicUrl: string }): Promise<StowResponse> {
  const media = parseMediaType(req.contentType ?? '');
  // The response acknowledges the request as a whole, so its index writes are committed together.
  const committer = ports.archive.requestCommitter(MAX_IN_FLIGHT);
  const ctx = { source: 'STOW-RS', expectedStudyUid: req.studyUid, committer };
  const results: Promise<PartResult>[] = [];
  const store = (body: AsyncIterable<Buffer>): Promise<PartResult> =>
    ports.archive.store(body, ctx).then(
      (outcome) => ({ outcome }),
      (e: unknown) => ({ failure: failureOf(e) }),
    );

  if (media.type === 'application/dicom') {
    results.push(store(req.body));
  } else if (media.type === 'multipart/related') {
    const type = (media.params.type ?? 'application/dicom').toLowerCase();
    if (type !== 'application/dicom') {
      throw unsupportedMediaType(
        `multipart/related with type="${type}" is not supported; send type="application/dicom"`,
      );
    }
    const inFlight = new Set<Promise<PartResult>>();
    try {
      for await (const part of readMultipart(req.body, media.params.boundary ?? '')) {
        const partType = parseMediaType(part.headers['content-type'] ?? type).type;
        let p: Promise<PartResult>;
        if (partType !== 'application/dicom') {
          for await (const _ of part.body); // skip it
          p = Promise.resolve({
            failure: {
              status: DicomStatus.CannotUnderstand,
              message: `a part of type "${partType}" is not application/dicom`,
            },
          });
        } else {
          p = store(part.body);
        }
        results.push(p);
        inFlight.add(p);
        void p.then(() => inFlight.delete(p));
        if (inFlight.size >= MAX_IN_FLIGHT) {
          committer.flush();
          await Promise.race(inFlight);
        }
      }
    } catch (e) {
      await settle(results, committer);
      if (e instanceof MultipartError) throw badRequest(`malformed multipart body: ${e.message}`);
      throw e;
    }
  } else {
    throw unsupportedMediaType(
      `Content-Type "${media.type || '(none)'}" is not supported; use multipart/related; type="application/dicom" or application/dicom`,
    );
  }
  if (results.length === 0) throw badRequest('the request holds no DICOM instance');
  return respond(await settle(results, committer), req.studyUid, ports.publicUrl);
}

/** Wait for every part; from here on, parts still to commit are committed as they arrive. */
function settle(results: Promise<PartResult>[], committer: { close(): void }): Promise<PartResult[]> {
  committer.close();
  return Promise.all(results);
}

function failureOf(e: unknown): NonNullable<PartResult['failure']> {
  if (e instanceof StoreError)
    return { status: e.status, message: e.message, sopClassUid: e.sop?.classUid, sopUid: e.sop?.instanceUid };
  if (e instanceof MultipartError) throw e;
  if (e instanceof OperationOutcomeError) throw e;
  return { status: DicomStatus.ProcessingFailure, message: (e as Error).message };
}

function respond(results: PartResult[], studyUid: string | undefined, publicUrl: string): StowResponse {
  const referenced: DicomJson[] = [];
  const failed: DicomJson[] = [];
  const warnings: string[] = [];
  const studies = new Set<string>();
  for (const r of results) {
    if (r.outcome) {
      const ref = r.outcome.record;
      studies.add(ref.studyUid);
      const item: DicomJson = {
        '00081150': { vr: 'UI', Value: [ref.sopClassUid] },
        '00081155': { vr: 'UI', Value: [ref.sopUid] },
        '00081190': { vr: 'UR', Value: [retrieveUrl(publicUrl, ref.studyUid, ref.seriesUid, ref.sopUid)] },
      };
      const warning = r.outcome.warning;
      if (warning) {
        // Stored with a warning (PS3.18 Annex I): WarningReason in the item, the reason in a Warning header.
        item['00081196'] = { vr: 'US', Value: [warning.status] };
        warnings.push(`${statusHex(warning.status)}: ${warning.message}`);
      }
      referenced.push(item);
    } else if (r.failure) {
      const f = r.failure;
      const item: DicomJson = {
        '00081150': f.sopClassUid ? { vr: 'UI', Value: [f.sopClassUid] } : { vr: 'UI' },
        '00081155': f.sopUid ? { vr: 'UI', Value: [f.sopUid] } : { vr: 'UI' },
        '00081197': { vr: 'US', Value: [f.status] },
      };
      failed.push(item);
      warnings.push(`${statusHex(f.status)}: ${f.message}`);
    }
  }
  const body: DicomJson = {};
  const oneStudy = studyUid ?? (studies.size === 1 ? [...studies][0] : undefined);
  if (oneStudy && referenced.length > 0) body['00081190'] = { vr: 'UR', Value: [retrieveUrl(publicUrl, oneStudy)] };
  if (failed.length > 0) body['00081198'] = { vr: 'SQ', Value: failed };
  if (referenced.length > 0) body['00081199'] = { vr: 'SQ', Value: referenced };
  // PS3.18 Table 10.5.3-1: 202 when some instances failed or were stored with warnings.
  const status = referenced.length === 0 ? 409 : warnings.length === 0 ? 200 : 202;
  return { status, body, warnings };
}
