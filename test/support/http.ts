/** Small HTTP helpers of the end-to-end tests: STOW, JSON reads, FHIR ImagingStudy look-ups. */
import { multipartBody } from './multipart.js';

/** A JSON body, untyped: tests assert on its shape. */
export type Json = any;

/** The JSON body of a response. */
export const json = async (res: Response): Promise<Json> => res.json();

/** POSTs Part 10 files to `<baseUrl>/dicomweb/studies` and returns the HTTP status. */
export async function stow(baseUrl: string, files: Buffer[]): Promise<number> {
  const { body, contentType } = multipartBody(files);
  const res = await fetch(`${baseUrl}/dicomweb/studies`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Status and parsed body (undefined when empty). */
export async function getJson(url: string, init?: RequestInit): Promise<Json> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The ImagingStudy resources of a study in the FHIR server at `fhirBase`. */
export async function imagingStudies(fhirBase: string, studyUid: string): Promise<Json[]> {
  const res = await fetch(
    `${fhirBase}/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${studyUid}`)}`,
  );
  const bundle = (await res.json()) as Json;
  return (bundle.entry ?? []).map((e: Json) => e.resource);
}
