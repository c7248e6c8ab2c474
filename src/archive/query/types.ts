import type { DicomJson } from '../../dicom/types.js';

export type QidoLevel = 'study' | 'series' | 'instance';

export interface QidoRequest {
  level: QidoLevel;
  /** Set for /studies/{s}/series, /studies/{s}/instances and /studies/{s}/series/{se}/instances. */
  studyUid?: string;
  seriesUid?: string;
  query: URLSearchParams;
}

export interface QidoResponse {
  body: DicomJson[];
  /** PS3.18 Warning header values, e.g. `299 imaging-bridge "…"`. */
  warnings: string[];
}

export interface QidoOptions {
  /** Base URL clients reach us at; RetrieveURL is publicUrl + '/dicomweb/studies/…'. */
  publicUrl: string;
  /** Default and maximum number of results per response. */
  maxResults: number;
}

/** Depth of a level: a key of level L may be used at any level at or below L. */
export const LEVEL_DEPTH: Record<QidoLevel, number> = { study: 0, series: 1, instance: 2 };
