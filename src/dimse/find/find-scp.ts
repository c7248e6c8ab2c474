import { responses } from '../dcmjs-dimse.js';
import { fillResponse, withIdentifier } from '../messages.js';
import { naturalToJson } from '../natural-json.js';
import type { Exchange } from '../exchange.js';
import { QUERY_RETRIEVE } from '../sop-classes.js';
import { DimseError, serviceFailure, type DimseResult } from '../status.js';
import { DicomStatus, statusHex } from '../../core/dicom-status.js';
import { find, type QueryOptions } from './find-service.js';
import { own } from '../../core/own.js';

/** C-FIND SCP: one pending response per match, then the final status (Success, Cancel or a failure). */
export function findHandler(opts: QueryOptions & { aeTitle: string }): (x: Exchange) => Promise<void> {
  return async (x) => {
    let final: DimseResult = { status: DicomStatus.Success };
    let matches = 0;
    try {
      const model = own(QUERY_RETRIEVE, x.sopClassUid);
      if (model?.service !== 'find')
        throw new DimseError(DicomStatus.SopClassNotSupported, `${x.sopClassUid} is not a C-FIND model`);
      for await (const result of find(opts, model.model, naturalToJson(x.identifier), x.cancelled)) {
        if (matches === 0) await x.disclose([]); // the record is durable before the first match leaves
        const rsp = fillResponse(new responses.CFindResponse(DicomStatus.Pending, ''), x.request, {
          status: DicomStatus.Pending,
        });
        x.send(withIdentifier(rsp, result, x.transferSyntaxUid));
        matches++;
        await x.flushed();
      }
      if (x.cancelled()) final = { status: DicomStatus.Cancel };
    } catch (e) {
      final = serviceFailure(e);
      x.log.warn({ status: statusHex(final.status), comment: final.comment }, 'C-FIND failed');
    }
    x.log.info({ callingAe: x.callingAe, matches, status: statusHex(final.status) }, 'C-FIND');
    x.send(fillResponse(new responses.CFindResponse(final.status, ''), x.request, final));
  };
}
