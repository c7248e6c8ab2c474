import type { AuditEvent } from '../types.js';
import type { AccessRecord, NotificationAccess } from './access-record.js';
import { EXPORT, REST, local } from './codes.js';
import { patientEntity, resourceEntity, type Entity } from './entities.js';
import { auditEvent, perPatient } from './event.js';

const SUBTYPE: Record<NotificationAccess['event'], [string, string]> = {
  'rest-hook': ['rest-hook', 'Subscription rest-hook delivery'],
  'websocket-open': ['websocket-open', 'Subscription websocket opened (upgrade)'],
  'websocket-bind': ['websocket-bind', 'Subscription websocket bind'],
  'websocket-notification': ['websocket-notification', 'Subscription websocket notification'],
};

/**
 * Subscription channels. A notification leaving the server (rest-hook delivery, websocket ping)
 * is a DICOM Export (110106, action R) to the subscriber, one event per patient, naming the
 * resource (and whether its content was sent), the Subscription and the rest-hook endpoint.
 * Opening the websocket and binding it are RESTful events (rest + local subtype).
 */
export function notificationEvents(r: AccessRecord, a: NotificationAccess): AuditEvent[] {
  const [code, display] = SUBTYPE[a.event];
  const subtype = [local(code, display)];
  const subscription: Entity[] = a.subscriptionId
    ? [
        {
          ...resourceEntity(`Subscription/${a.subscriptionId}`),
          ...(a.endpoint ? { detail: [{ type: 'endpoint', valueString: a.endpoint }] } : {}),
        },
      ]
    : [];
  if (a.event === 'websocket-open') return [auditEvent(r, { type: REST, subtype, action: 'E', entities: [] })];
  if (a.event === 'websocket-bind')
    return [auditEvent(r, { type: REST, subtype, action: 'R', entities: subscription })];
  const about: Entity[] = a.resource
    ? [
        {
          ...resourceEntity(a.resource),
          description: a.payload ? 'content sent' : 'content not sent (the notification names only the Subscription)',
        },
      ]
    : [];
  return perPatient(a.patientIds, (patientId) =>
    auditEvent(r, {
      type: EXPORT,
      subtype,
      action: 'R',
      entities: [...(patientId ? [patientEntity(patientId)] : []), ...about, ...subscription],
    }),
  );
}
