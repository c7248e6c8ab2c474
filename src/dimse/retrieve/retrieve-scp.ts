/**
 * C-MOVE and C-GET SCP: resolve the instances, run the sub-operations (to the configured
 * destination, or back over the requesting association), answer pending and final
 * responses with the counts (PS3.4 C.4.2, C.4.3).
 */
import type { BlobStore, StoredInstance } from '../../archive/types.js';
import type { QueryOptions } from '../find/find-service.js';
import { retrieveResponse, withIdentifier, type SubOperationCounts } from '../messages.js';
import { naturalToJson } from '../natural-json.js';
import type { Exchange } from '../exchange.js';
import type { ScpAssociation } from '../scp-services.js';
import type { DimseSettings } from '../settings.js';
import { QUERY_RETRIEVE, type QueryService } from '../sop-classes.js';
import { DimseError, serviceFailure } from '../status.js';
import { DicomStatus, statusHex } from '../../core/dicom-status.js';
import { datasetBytes, deliverableAs, proposalFor } from './instance-bytes.js';
import { retrieveInstances, type InstancePort } from './retrieve-instances.js';
import { responseStatus, storeRequest } from './store-request.js';
import { runSubOperations, type SubOperationsResult, type SubOperationTarget } from './sub-operations.js';
import { own } from '../../core/own.js';
import { openAssociation, type ScuAssociation } from '../scu/association.js';

export interface RetrieveOptions extends QueryOptions {
  archive: InstancePort & { blobs: BlobStore };
  settings: DimseSettings;
}

export function moveHandler(o: RetrieveOptions): (x: Exchange, destination: string) => Promise<void> {
  return (x, destination) =>
    retrieve(o, x, 'move', async (instances) => {
      const peer = o.settings.peers.get(destination);
      if (!peer)
        throw new DimseError(DicomStatus.MoveDestinationUnknown, `move destination "${destination}" is not configured`);
      if (instances.length === 0) return undefined;
      let sub: ScuAssociation;
      try {
        sub = await openAssociation(peer, {
          callingAe: o.settings.aeTitle,
          calledAe: destination,
          contexts: proposals(instances),
          tls: o.settings.tls,
          maxPduLength: o.settings.maxPduLength,
          timeoutMs: o.settings.idleTimeoutMs,
        });
      } catch (e) {
        throw new DimseError(DicomStatus.UnableToPerformSubOperations, (e as Error).message);
      }
      const originator = { aeTitle: x.callingAe, messageId: x.request.getMessageId() };
      return {
        syntaxFor: (i) => deliverableAs(i.transferSyntaxUid, sub.accepted(i.sopClassUid)),
        store: async (i, syntax) => {
          const request = storeRequest(i, await datasetBytes(o.archive.blobs, i, syntax), syntax, originator);
          const status = responseStatus(request, sub.closed);
          sub.send(request);
          return status;
        },
        done: () => sub.release(),
      };
    });
}

export function getHandler(o: RetrieveOptions): (x: Exchange, scp: ScpAssociation) => Promise<void> {
  return (x, scp) =>
    retrieve(o, x, 'get', async () => ({
      // Storage contexts the requestor proposed with the SCP role (PS3.7 D.3.3.4).
      syntaxFor: (i) => deliverableAs(i.transferSyntaxUid, scp.acceptedForSubOperations(i.sopClassUid)),
      store: async (i, syntax) => {
        const request = storeRequest(i, await datasetBytes(o.archive.blobs, i, syntax), syntax);
        const status = responseStatus(request, scp.whenClosed());
        scp.sendRequests(request);
        return status;
      },
      done: async () => undefined,
    }));
}

type Target = SubOperationTarget & { done(): Promise<void> };

async function retrieve(
  o: RetrieveOptions,
  x: Exchange,
  kind: QueryService & ('move' | 'get'),
  openTarget: (instances: StoredInstance[]) => Promise<Target | undefined>,
): Promise<void> {
  const respond = (status: number, counts: SubOperationCounts, comment?: string, failedUids: string[] = []) => {
    const rsp = retrieveResponse(kind, x.request, { status, comment }, counts);
    // A C-MOVE final response with failures lists them (PS3.4 C.4.2.1.4.2). Not for C-GET:
    // DCMTK's getscu (3.6.7) does not read a C-GET-RSP data set and then fails the release.
    if (failedUids.length > 0 && kind === 'move')
      withIdentifier(rsp, { '00080058': { vr: 'UI', Value: failedUids } }, x.transferSyntaxUid);
    x.send(rsp);
  };
  const none = { completed: 0, failed: 0, warning: 0 };
  try {
    const model = own(QUERY_RETRIEVE, x.sopClassUid);
    if (!model || model.service !== kind)
      throw new DimseError(DicomStatus.SopClassNotSupported, `${x.sopClassUid} is not a C-${kind.toUpperCase()} model`);
    const instances = await retrieveInstances(naturalToJson(x.identifier), model.model, o, o.archive);
    const target = await openTarget(instances);
    if (!target) {
      respond(DicomStatus.Success, none);
      return;
    }
    let result: SubOperationsResult;
    try {
      // The record is durable before the first instance leaves.
      await x.disclose(instances.map((i) => i.studyUid));
      result = await runSubOperations(instances, target, (counts) => respond(DicomStatus.Pending, counts), x.cancelled);
    } finally {
      await target.done().catch(() => undefined);
    }
    x.log.info(
      { callingAe: x.callingAe, kind, ...result.counts, status: statusHex(result.final.status) },
      `C-${kind.toUpperCase()}`,
    );
    respond(
      result.final.status,
      result.counts,
      result.final.comment,
      result.final.status === DicomStatus.Cancel ? [] : result.failedUids,
    );
  } catch (e) {
    const failure = serviceFailure(e);
    x.log.warn({ kind, status: statusHex(failure.status), comment: failure.comment }, `C-${kind.toUpperCase()} failed`);
    respond(failure.status, none, failure.comment);
  }
}

/** One context per SOP class and stored syntax (Explicit VR LE offered beside native syntaxes). */
function proposals(instances: StoredInstance[]): { abstractSyntax: string; transferSyntaxes: string[] }[] {
  const seen = new Map<string, { abstractSyntax: string; transferSyntaxes: string[] }>();
  for (const i of instances) {
    const key = `${i.sopClassUid} ${i.transferSyntaxUid}`;
    if (!seen.has(key))
      seen.set(key, { abstractSyntax: i.sopClassUid, transferSyntaxes: proposalFor(i.transferSyntaxUid) });
  }
  return [...seen.values()];
}
