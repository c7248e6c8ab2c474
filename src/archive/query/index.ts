/** QIDO-RS search over the archive index (PS3.18 10.6, PS3.4 C.2.2.2 matching). */
export type { DicomJson } from '../../dicom/types.js';
export { QidoService } from './qido-service.js';
export { QueryError } from './query-error.js';
export type { DatasetsText, QidoLevel, QidoOptions, QidoRequest, QidoResponse, QidoResults } from './types.js';
