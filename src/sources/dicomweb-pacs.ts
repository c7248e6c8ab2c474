/** A DICOMweb PACS: QIDO-RS to watch, WADO-RS multipart streamed into archive.store to copy. */
import type { DicomJson } from '../dicom/types.js';
import { parseMediaType, readMultipart } from '../dicomweb/multipart.js';
import type { StorePort } from '../dimse/store-handler.js';
import type { RemoteInstance, RemotePacs, RemoteStudy, RetrieveResult, RetrieveUnit } from './pacs.js';
import type { DicomwebSource } from './settings.js';
import { firstString, integerOf } from './json.js';

const PAGE = 500;
const AS_STORED = 'multipart/related; type="application/dicom"; transfer-syntax=*';
const DEFAULT_SYNTAX = 'multipart/related; type="application/dicom"';

export class DicomwebPacs implements RemotePacs {
  readonly dicomwebUrl: string;

  constructor(
    private readonly s: DicomwebSource,
    private readonly archive: StorePort,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.dicomwebUrl = s.url;
  }

  async findStudies(fromDate: string | undefined): Promise<RemoteStudy[]> {
    const out: RemoteStudy[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const q = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
      if (fromDate) q.set('StudyDate', `${fromDate}-`);
      q.append('includefield', '00201206');
      q.append('includefield', '00201208');
      const page = (await this.json(`/studies?${q}`)) as DicomJson[];
      for (const j of page) {
        const studyUid = firstString(j, '0020000D');
        if (studyUid)
          out.push({
            studyUid,
            studyDate: firstString(j, '00080020') ?? '',
            instances: integerOf(j, '00201208'),
            series: integerOf(j, '00201206'),
            json: j,
          });
      }
      if (page.length < PAGE) return out;
    }
  }

  async instancesOf(study: RemoteStudy): Promise<RemoteInstance[]> {
    const out: RemoteInstance[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const q = new URLSearchParams({ limit: String(PAGE), offset: String(offset), includefield: '0020000E' });
      const page = (await this.json(`/studies/${study.studyUid}/instances?${q}`)) as DicomJson[];
      for (const j of page) {
        const sopUid = firstString(j, '00080018');
        const seriesUid = firstString(j, '0020000E');
        if (sopUid && seriesUid) out.push({ seriesUid, sopUid, sopClassUid: firstString(j, '00080016') });
      }
      if (page.length < PAGE) return out;
    }
  }

  async retrieve(units: RetrieveUnit[]): Promise<RetrieveResult> {
    const result = { stored: 0, failed: 0 };
    for (const u of units) {
      let path = `/studies/${u.studyUid}`;
      if (u.seriesUid) path += `/series/${u.seriesUid}`;
      if (u.seriesUid && u.sopUid) path += `/instances/${u.sopUid}`;
      let res = await this.get(path, AS_STORED, [200, 400, 406]);
      // Servers that cannot send as stored: their default (Explicit VR Little Endian).
      if (res.status !== 200) {
        await res.body?.cancel();
        res = await this.get(path, DEFAULT_SYNTAX, [200]);
      }
      const type = parseMediaType(res.headers.get('content-type') ?? '');
      if (type.type !== 'multipart/related' || !type.params.boundary)
        throw new Error(`WADO-RS ${path}: answered ${type.type || 'no content type'}, not multipart/related`);
      for await (const part of readMultipart(bodyChunks(res), type.params.boundary)) {
        try {
          await this.archive.store(part.body, { source: `source:${this.s.name}` });
          result.stored++;
        } catch {
          result.failed++; // store() has drained the part; the status of the study says the rest
        }
      }
    }
    return result;
  }

  async metadataOf(study: RemoteStudy, instances: RemoteInstance[]): Promise<DicomJson[]> {
    const wanted = new Set(instances.map((i) => i.sopUid));
    const all = (await this.json(`/studies/${study.studyUid}/metadata`)) as DicomJson[];
    return all.filter((j) => wanted.has(firstString(j, '00080018') ?? ''));
  }

  private async get(path: string, accept: string, ok: number[]): Promise<Response> {
    const res = await this.fetchImpl(this.s.url + path, {
      headers: { ...this.s.headers, accept },
      signal: AbortSignal.timeout(this.s.timeoutSeconds * 1000),
    });
    if (!ok.includes(res.status)) {
      const text = await res.text().catch(() => '');
      throw new Error(`GET ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    return res;
  }

  private async json(path: string): Promise<unknown> {
    const res = await this.get(path, 'application/dicom+json', [200, 204]);
    if (res.status === 204) return [];
    const text = await res.text();
    return text.trim() === '' ? [] : JSON.parse(text);
  }
}

async function* bodyChunks(res: Response): AsyncIterable<Buffer> {
  if (!res.body) return;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}
