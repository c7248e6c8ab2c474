/**
 * Single requests on an association the caller opened (openAssociation): C-ECHO and a C-FIND
 * whose final status is returned rather than thrown — for probes that report what a peer does.
 */
import type { DicomJson } from '../../dicom/index.js';
import { isFinalStatus } from '../../core/dicom-status.js';
import { Dataset, requests } from '../dcmjs-dimse.js';
import { naturalToJson } from '../natural-json.js';
import { IMPLICIT_LE } from '../sop-classes.js';
import type { ScuAssociation } from './association.js';

/** The final status of a C-ECHO (0x0000 when the peer answers). */
export async function cEchoOn(assoc: ScuAssociation): Promise<number> {
  const rsps = await assoc.request(new requests.CEchoRequest());
  return rsps[rsps.length - 1]!.getStatus();
}

/** C-FIND (Study Root) on an open association: the final status and the pending answers. */
export async function cFindOn(
  assoc: ScuAssociation,
  level: 'STUDY' | 'SERIES' | 'IMAGE',
  keys: Record<string, string>,
): Promise<{ status: number; answers: DicomJson[] }> {
  const request = new requests.CFindRequest();
  request.setAffectedSopClassUid('1.2.840.10008.5.1.4.1.2.2.1');
  request.setDataset(new Dataset({ ...keys, QueryRetrieveLevel: level }, IMPLICIT_LE));
  const rsps = await assoc.request(request);
  return {
    status: rsps[rsps.length - 1]!.getStatus(),
    answers: rsps
      .filter((r) => !isFinalStatus(r.getStatus()))
      .map((r) => naturalToJson((r.getDataset()?.getElements() ?? {}) as Record<string, unknown>)),
  };
}
