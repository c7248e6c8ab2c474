/** The lymph node sites (codes/nodal-sites.json: SNOMED 59441001 and descendants, with its source). */
import nodal from './codes/nodal-sites.json' with { type: 'json' };

export const NODAL_SITES: ReadonlySet<string> = new Set(nodal.codes.map((c) => c.code));
export const NODAL_SITES_SOURCE = { source: nodal.source, retrieved: nodal.retrieved };
