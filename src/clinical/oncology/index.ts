/** Oncology: serial imaging compared by RECIST 1.1 and the tumor-board summary (docs/oncology.md). */
export { compareSerialImaging, NON_TARGET_PROGRESSION } from './recist.js';
export { summarizeOncology, type OncologyComputed } from './summarize.js';
export { NODAL_SITES, NODAL_SITES_SOURCE } from './nodal-sites.js';
export { TARGET_SELECTION } from './targets.js';
export { isMeasurement } from './measurements.js';
export { ONCOLOGY_SYSTEM } from './fhir.js';
export type * from './types.js';
export type { ClinicianStatus, Diagnosis, Performance, Treatment, Trend } from './record.js';
