import { randomUUID } from 'node:crypto';
import type { AccessRecord } from '../audit/index.js';
import type { DimseAuditEvent } from './audit.js';

const DIMSE_EVENT = {
  'C-FIND': 'query',
  'C-MOVE': 'instances-transferred',
  'C-GET': 'instances-transferred',
  'C-STORE': 'import',
} as const;

/** A DIMSE request or refused association as a BALP AccessRecord: the calling AE title is the actor. */
export function dimseAccessRecord(a: DimseAuditEvent, server: { publicUrl: string; aeTitle: string }): AccessRecord {
  const frame = { actor: 'dimse', requestId: randomUUID(), recorded: new Date(), server };
  if (a.service === 'association') {
    return {
      ...frame,
      ...(a.remoteAddress ? { sourceIp: a.remoteAddress } : {}),
      outcome: 'minor',
      outcomeDesc: a.why,
      access: {
        kind: 'node-authentication',
        transport: 'dimse',
        reason: a.reason,
        ...(a.callingAet ? { callingAet: a.callingAet } : {}),
        ...(a.calledAet ? { calledAet: a.calledAet } : {}),
      },
    };
  }
  return {
    ...frame,
    outcome: { dicomStatus: a.status },
    access: {
      kind: 'dicom',
      event: DIMSE_EVENT[a.service],
      transport: 'dimse',
      service: a.service,
      studyUids: a.studyUids,
      callingAet: a.callingAet,
      calledAet: a.calledAet,
      ...(a.query ? { query: a.query } : {}),
      ...(a.moveDestinationAet ? { moveDestinationAet: a.moveDestinationAet } : {}),
    },
  };
}
