/** DICOM SR TID 1500 Imaging Measurement Reports → the AI results input (the same FHIR shape as POST /api/ai-results). */
export { isTid1500, readTid1500, type ContentDateTime, type SrReading } from './read-tid1500.js';
