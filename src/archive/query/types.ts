import type { DicomJson } from '../../dicom/types.js';

export type QidoLevel = 'study' | 'series' | 'instance';

export interface QidoRequest {
  level: QidoLevel;
  /** Set for /studies/{s}/series, /studies/{s}/instances and /studies/{s}/series/{se}/instances. */
  studyUid?: string;
  seriesUid?: string;
  query: URLSearchParams;
}

/** A search whose answer is read chunk by chunk (QidoService.open). */
export interface QidoResults {
  /** PS3.18 Warning header values, e.g. `299 imaging-bridge "…"`: all known before the first result. */
  warnings: string[];
  /**
   * The results in index order, a chunk per step. Each step runs one bounded SQL statement to
   * its end: no cursor stays open between steps, so the caller may wait (for a slow client,
   * for the event loop) between them while the database goes on serving writes.
   */
  chunks: AsyncIterable<DicomJson[]>;
  /**
   * The same results as DICOM JSON text, a chunk per step (what an HTTP answer sends): read
   * either this or `chunks`, not both. Cheaper than stringifying `chunks`: results of index
   * columns alone are written as text straight from their rows (render-text.ts).
   */
  text: AsyncIterable<DatasetsText>;
  /** Results sent at most (the client's limit, the server cap); undefined: all matches. */
  limit?: number;
}

/** A chunk of results as text. */
export interface DatasetsText {
  /** Results in the chunk. */
  count: number;
  /**
   * Each result's DICOM JSON text, in order: the HTTP answer encodes them straight into its
   * chunk's bytes, commas between (qido-response.ts), with no joined string.
   */
  results: readonly string[];
}

/** The whole answer in memory (QidoService.search): small searches, tests. */
export interface QidoResponse {
  body: DicomJson[];
  /** PS3.18 Warning header values, e.g. `299 imaging-bridge "…"`. */
  warnings: string[];
}

export interface QidoOptions {
  /** Base URL clients reach us at; RetrieveURL is publicUrl + '/dicomweb/studies/…'. */
  publicUrl: string;
  /**
   * Most results one response may hold, with a Warning when it cuts (0 or absent: no cap —
   * answers are streamed, so their size does not cost memory).
   */
  maxResults?: number;
}

/** Depth of a level: a key of level L may be used at any level at or below L. */
export const LEVEL_DEPTH: Record<QidoLevel, number> = { study: 0, series: 1, instance: 2 };
