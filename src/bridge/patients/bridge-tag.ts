/** meta.tag on every Patient the bridge created: the only Patients it will ever update. */
import type { FhirResource } from '../../fhir/types.js';

export const BRIDGE_TAG = {
  system: 'urn:imaging-bridge:tag',
  code: 'created-by-bridge',
  display: 'Created by ImagingBridge from DICOM',
} as const;

export function createdByBridge(resource: FhirResource): boolean {
  return !!resource.meta?.tag?.some((t) => t.system === BRIDGE_TAG.system && t.code === BRIDGE_TAG.code);
}

export function withBridgeTag<T extends object>(resource: T): T & { meta: { tag: (typeof BRIDGE_TAG)[] } } {
  return { ...resource, meta: { tag: [BRIDGE_TAG] } };
}
