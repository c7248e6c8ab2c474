/**
 * C-FIND, C-GET and C-MOVE as an SCU (Study Root, PS3.4 C.6.2), one association per
 * operation. Identifiers go out in the library's keyword form; answers come back as DICOM JSON.
 */
import type { DicomJson } from '../../dicom/index.js';
import { Dataset, requests, type Request, type Response } from '../dcmjs-dimse.js';
import { naturalToJson } from '../natural-json.js';
import type { Peer, TlsSettings } from '../settings.js';
import { IMPLICIT_LE, EXPLICIT_LE, isStorageSopClass } from '../sop-classes.js';

import { DicomStatus, isFinalStatus, statusHex } from '../../core/dicom-status.js';
import type { StorePort } from '../store-handler.js';
import { openAssociation, ScuError, type ProposedContext } from './association.js';
import { STORAGE_CLASSES } from './storage-classes.js';

const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';

export type QueryLevel = 'STUDY' | 'SERIES' | 'IMAGE';

/** Who we are and whom we call. */
export interface RemoteAe {
  peer: Peer;
  callingAe: string;
  calledAe: string;
  maxPduLength?: number;
  timeoutMs?: number;
  tls?: TlsSettings;
}

export interface RetrieveCounts {
  completed: number;
  failed: number;
  warning: number;
  /** Final status of the C-GET / C-MOVE. */
  status: number;
}

/** The UIDs that name what to retrieve: a study, a series or one instance. */
export interface RetrieveKeys {
  studyUid: string;
  seriesUid?: string;
  sopUid?: string;
}

function options(ae: RemoteAe, contexts: ProposedContext[], store?: StorePort) {
  return {
    callingAe: ae.callingAe,
    calledAe: ae.calledAe,
    contexts,
    maxPduLength: ae.maxPduLength ?? 262_144,
    timeoutMs: ae.timeoutMs ?? 30_000,
    tls: ae.tls,
    store,
  };
}

/** The requests one after the other on one association; the responses of each. */
async function exchange(
  ae: RemoteAe,
  contexts: ProposedContext[],
  requests: Request[],
  store?: StorePort,
): Promise<Response[][]> {
  const assoc = await openAssociation(ae.peer, options(ae, contexts, store));
  try {
    const out: Response[][] = [];
    for (const r of requests) out.push(await assoc.request(r));
    return out;
  } finally {
    await assoc.release().catch(() => assoc.abort());
  }
}

/**
 * C-FIND: `keys` are DICOM keywords → match value ('' = return key). Resolves with the
 * pending answers; rejects (ScuError) on a failure status.
 */
export async function cFind(ae: RemoteAe, level: QueryLevel, keys: Record<string, string>): Promise<DicomJson[]> {
  const request = new requests.CFindRequest();
  request.setAffectedSopClassUid(STUDY_ROOT_FIND);
  request.setDataset(new Dataset({ ...keys, QueryRetrieveLevel: level }, IMPLICIT_LE));
  const [rsps] = (await exchange(
    ae,
    [{ abstractSyntax: STUDY_ROOT_FIND, transferSyntaxes: [IMPLICIT_LE] }],
    [request],
  )) as [Response[]];
  const final = rsps[rsps.length - 1]!;
  if (final.getStatus() !== DicomStatus.Success) throw failure('C-FIND', final);
  return rsps
    .filter((r) => !isFinalStatus(r.getStatus()))
    .map((r) => naturalToJson((r.getDataset()?.getElements() ?? {}) as Record<string, unknown>));
}

/** C-GET of each of `keys` on one association: the instances come back on it and go to `store`. */
export async function cGet(
  ae: RemoteAe,
  keys: RetrieveKeys[],
  store: StorePort,
  sopClasses: string[] = [],
): Promise<RetrieveCounts> {
  const reqs = keys.map((k) => {
    const request = new requests.CGetRequest();
    request.setAffectedSopClassUid(STUDY_ROOT_GET);
    request.setDataset(new Dataset(identifier(k), IMPLICIT_LE));
    return request;
  });
  const known = [...new Set(sopClasses.filter(isStorageSopClass))];
  const classes = known.length > 0 ? known : STORAGE_CLASSES;
  const contexts: ProposedContext[] = [
    { abstractSyntax: STUDY_ROOT_GET, transferSyntaxes: [IMPLICIT_LE] },
    // Uncompressed syntaxes only: the peer decompresses what it holds otherwise.
    ...classes
      .slice(0, 120)
      .map((c) => ({ abstractSyntax: c, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE], scpRole: true })),
  ];
  return total('C-GET', await exchange(ae, contexts, reqs, store));
}

/** C-MOVE of each of `keys` to `destination` (our own AE: the instances arrive at our C-STORE SCP). */
export async function cMove(ae: RemoteAe, keys: RetrieveKeys[], destination: string): Promise<RetrieveCounts> {
  const reqs = keys.map((k) => {
    const request = new requests.CMoveRequest();
    request.setAffectedSopClassUid(STUDY_ROOT_MOVE);
    request.getCommandDataset().setElement('MoveDestination', destination);
    request.setDataset(new Dataset(identifier(k), IMPLICIT_LE));
    return request;
  });
  return total(
    'C-MOVE',
    await exchange(ae, [{ abstractSyntax: STUDY_ROOT_MOVE, transferSyntaxes: [IMPLICIT_LE] }], reqs),
  );
}

function identifier(keys: RetrieveKeys): Record<string, unknown> {
  if (keys.sopUid) {
    if (!keys.seriesUid) throw new ScuError('an instance-level retrieve needs the series UID');
    return {
      QueryRetrieveLevel: 'IMAGE',
      StudyInstanceUID: keys.studyUid,
      SeriesInstanceUID: keys.seriesUid,
      SOPInstanceUID: keys.sopUid,
    };
  }
  if (keys.seriesUid)
    return { QueryRetrieveLevel: 'SERIES', StudyInstanceUID: keys.studyUid, SeriesInstanceUID: keys.seriesUid };
  return { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: keys.studyUid };
}

function total(what: string, all: Response[][]): RetrieveCounts {
  const sum = { completed: 0, failed: 0, warning: 0, status: DicomStatus.Success as number };
  for (const rsps of all) {
    const c = counts(what, rsps);
    sum.completed += c.completed;
    sum.failed += c.failed;
    sum.warning += c.warning;
    if (c.status !== DicomStatus.Success) sum.status = c.status;
  }
  return sum;
}

function counts(what: string, rsps: Response[]): RetrieveCounts {
  const final = rsps[rsps.length - 1] as Response & {
    getCompleted?(): number;
    getFailures?(): number;
    getWarnings?(): number;
  };
  const status = final.getStatus();
  const result = {
    completed: final.getCompleted?.() ?? 0,
    failed: final.getFailures?.() ?? 0,
    warning: final.getWarnings?.() ?? 0,
    status,
  };
  // 0xB000: some sub-operations failed — the caller sees the counts and compares.
  if (status !== DicomStatus.Success && status !== DicomStatus.SubOperationsWarning) throw failure(what, final);
  return result;
}

function failure(what: string, rsp: Response): ScuError {
  const comment = (rsp.getCommandDataset().getElement('ErrorComment') as string | undefined) ?? '';
  return new ScuError(`${what} failed with status ${statusHex(rsp.getStatus())}${comment ? `: ${comment}` : ''}`);
}
