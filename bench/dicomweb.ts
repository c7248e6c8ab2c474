/** The four DICOMweb calls the benchmark makes, identical for both servers. */
import type { Agent } from 'node:http';
import type { DicomJson } from '../src/dicom/types.js';
import { httpCall, jsonOf } from './http-client.js';
import { boundaryOf, multipartRelated, MultipartCounter, type Part } from './multipart.js';

export interface StowResult {
  status: number;
  ms: number;
  /** Request body bytes (known length or counted). */
  bytes: number;
  stored: number;
  failed: number;
}

function sequenceLength(json: DicomJson | undefined, tag: string): number {
  const value = json?.[tag]?.Value;
  return Array.isArray(value) ? value.length : 0;
}

/** STOW-RS of all parts in ONE multipart/related request (streamed). */
export async function stow(
  dicomWebUrl: string,
  parts: readonly Part[] | Iterable<Part> | AsyncIterable<Part>,
  opts: { agent?: Agent; timeoutMs?: number; studyUid?: string } = {},
): Promise<StowResult> {
  const body = multipartRelated(parts);
  let sent = 0;
  body.stream.on('data', (c: Buffer) => (sent += c.length));
  const headers: Record<string, string | number> = {
    'Content-Type': body.contentType,
    Accept: 'application/dicom+json',
  };
  if (body.length !== undefined) headers['Content-Length'] = body.length;
  const url = `${dicomWebUrl}/studies${opts.studyUid ? `/${opts.studyUid}` : ''}`;
  const result = await httpCall(url, {
    method: 'POST',
    headers,
    body: body.stream,
    agent: opts.agent,
    timeoutMs: opts.timeoutMs,
  });
  const text = result.body.toString('utf8');
  let json: DicomJson | undefined;
  try {
    json = text ? (JSON.parse(text) as DicomJson) : undefined;
  } catch {
    json = undefined;
  }
  // 409 = some instances failed: reported through `failed`, not thrown.
  if ((result.status < 200 || result.status >= 300) && result.status !== 409) {
    throw new Error(`STOW ${url}: HTTP ${result.status}: ${text.slice(0, 500)}`);
  }
  return {
    status: result.status,
    ms: result.totalMs,
    bytes: body.length ?? sent,
    stored: sequenceLength(json, '00081199'),
    failed: sequenceLength(json, '00081198'),
  };
}

export interface QidoResult {
  ms: number;
  /** Time to the first byte of the body: what a streamed answer shortens. */
  firstByteMs: number;
  count: number;
  /** Body bytes received. */
  bytes: number;
}

/** QIDO-RS: `query` is the path+query below the DICOMweb root, e.g. `studies?PatientID=1`. */
export async function qido(dicomWebUrl: string, query: string, agent?: Agent): Promise<QidoResult> {
  const result = await httpCall(`${dicomWebUrl}/${query}`, {
    headers: { Accept: 'application/dicom+json' },
    agent,
    timeoutMs: 60_000,
  });
  const timing = { ms: result.totalMs, firstByteMs: result.firstByteMs, bytes: result.bytes };
  if (result.status === 204) return { ...timing, count: 0 };
  const json = jsonOf<unknown[] | undefined>(result, `QIDO ${query}`);
  return { ...timing, count: json?.length ?? 0 };
}

export interface MetadataResult {
  ms: number;
  bytes: number;
  instances: number;
}

/** WADO-RS study metadata (full body read and parsed, as a client would). */
export async function studyMetadata(dicomWebUrl: string, studyUid: string, agent?: Agent): Promise<MetadataResult> {
  const result = await httpCall(`${dicomWebUrl}/studies/${studyUid}/metadata`, {
    headers: { Accept: 'application/dicom+json' },
    agent,
    timeoutMs: 120_000,
  });
  const json = jsonOf<unknown[]>(result, `metadata of ${studyUid}`);
  return { ms: result.totalMs, bytes: result.bytes, instances: json.length };
}

export interface RetrieveResult {
  status: number;
  ms: number;
  firstByteMs: number;
  bytes: number;
  parts: number;
}

export const RETRIEVE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/** WADO-RS retrieve of a whole study, streamed and counted (never held in memory). */
export async function retrieveStudy(
  dicomWebUrl: string,
  studyUid: string,
  agent?: Agent,
  timeoutMs = 600_000,
): Promise<RetrieveResult> {
  let counter: MultipartCounter | undefined;
  let errorText = '';
  const result = await httpCall(`${dicomWebUrl}/studies/${studyUid}`, {
    headers: { Accept: RETRIEVE_ACCEPT },
    agent,
    timeoutMs,
    onHeaders: (status, headers) => {
      const boundary = boundaryOf(headers['content-type']);
      if (status === 200 && boundary) counter = new MultipartCounter(boundary);
    },
    sink: (chunk) => {
      if (counter) counter.push(chunk);
      else if (errorText.length < 1000) errorText += chunk.toString('utf8', 0, Math.min(chunk.length, 1000));
    },
  });
  if (!counter) {
    throw new Error(
      `retrieve ${studyUid}: HTTP ${result.status} ${String(result.headers['content-type'])}: ${errorText.slice(0, 500)}`,
    );
  }
  return {
    status: result.status,
    ms: result.totalMs,
    firstByteMs: result.headersMs,
    bytes: counter.bytes,
    parts: counter.parts,
  };
}
