/** AI results written back as structured FHIR (Device, Observations, DiagnosticReport, Provenance). */
export { AiResultsService, type AiResultWritten } from './service.js';
export { buildAiTransaction } from './build.js';
export { parseAiResult, type AiResultInput } from './input.js';
export { readTid1500, isTid1500, type SrReading } from './sr/index.js';
