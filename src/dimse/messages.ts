/** DIMSE response commands built from a request and a result (the library's classes, our fields). */
import { encodeDatasetBytes, type DicomJson } from '../dicom/index.js';
import {
  rawDataset,
  responses,
  type CStoreRequest,
  type CStoreResponse,
  type Request,
  type Response,
} from './dcmjs-dimse.js';
import { errorComment, type DimseResult } from './status.js';
import { carriesErrorComment } from '../core/dicom-status.js';

/** MessageIDBeingRespondedTo, Affected SOP Class (the request's), status, Error Comment on failures and warnings. */
export function fillResponse<T extends Response>(rsp: T, request: Request, r: DimseResult): T {
  rsp.setMessageIdBeingRespondedTo(request.getMessageId());
  const sopClass = request.getAffectedSopClassUid();
  if (sopClass) rsp.setAffectedSopClassUid(sopClass);
  rsp.setStatus(r.status);
  const elements = rsp.getCommandDataset().getElements() as Record<string, unknown>;
  if (r.comment && carriesErrorComment(r.status)) elements.ErrorComment = errorComment(r.comment);
  else delete elements.ErrorComment;
  return rsp;
}

/** The C-STORE-RSP to a C-STORE-RQ the library decoded. */
export function storeResponse(request: CStoreRequest, r: DimseResult): CStoreResponse {
  const rsp = fillResponse(new responses.CStoreResponse(r.status, ''), request, r);
  rsp.setAffectedSopInstanceUid(request.getAffectedSopInstanceUid());
  return rsp;
}

/** A response data set (identifier) encoded by our writer in the presentation context's syntax. */
export function withIdentifier<T extends Response>(rsp: T, json: DicomJson, transferSyntaxUid: string): T {
  rsp.setDataset(rawDataset(encodeDatasetBytes(json, { transferSyntaxUid }), transferSyntaxUid));
  return rsp;
}

export interface SubOperationCounts {
  remaining?: number;
  completed: number;
  failed: number;
  warning: number;
}

type RetrieveResponse = InstanceType<typeof responses.CMoveResponse> | InstanceType<typeof responses.CGetResponse>;

/** C-MOVE-RSP / C-GET-RSP with the sub-operation counts (PS3.4 C.4.2.1.5, C.4.3.1.4). */
export function retrieveResponse(
  kind: 'move' | 'get',
  request: Request,
  r: DimseResult,
  counts: SubOperationCounts,
): RetrieveResponse {
  const rsp = kind === 'move' ? new responses.CMoveResponse(r.status, '') : new responses.CGetResponse(r.status, '');
  fillResponse(rsp, request, r);
  if (counts.remaining !== undefined) rsp.setRemaining(counts.remaining);
  rsp.setCompleted(counts.completed);
  rsp.setFailures(counts.failed);
  rsp.setWarnings(counts.warning);
  return rsp;
}
