/**
 * Identifier systems from DICOM issuers (IssuerOfPatientID / its qualifiers sequence, the
 * IssuerOfAccessionNumberSequence) through the configured `issuer → system` map. An ISO
 * universal entity id (an OID) or a URI is globally unique and usable as a system without
 * configuration; anything else must be configured, else the caller's default applies.
 */
import { own } from '../../core/own.js';

export interface DicomIssuer {
  local?: string;
  universal?: string;
  universalType?: string;
}

export function issuerSystem(issuer: DicomIssuer, issuerSystems: Record<string, string>): string | undefined {
  const { local, universal, universalType } = issuer;
  const configured = (local && own(issuerSystems, local)) || (universal && own(issuerSystems, universal));
  if (configured) return configured;
  if (universal && universalType === 'ISO' && /^[0-2](\.(0|[1-9]\d*))+$/.test(universal)) return `urn:oid:${universal}`;
  if (universal && universalType === 'URI' && /^[a-z][a-z0-9+.-]*:\S+$/i.test(universal)) return universal;
  return undefined;
}
