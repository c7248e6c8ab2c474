import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { Archive } from '../archive/archive.js';
import type { InstanceScope } from '../archive/types.js';
import { notFound } from '../core/errors.js';
import { QidoService, type QidoLevel } from '../dicomweb/qido/index.js';
import { retrieveBulkData, retrieveFrames } from '../dicomweb/retrieve-frames.js';
import { retrieveInstances, type BinaryResponse } from '../dicomweb/retrieve-instances.js';
import { retrieveMetadata } from '../dicomweb/retrieve-metadata.js';
import { stow } from '../dicomweb/stow.js';
import { warningHeader } from './errors.js';
import { queryParams } from './query-string.js';

export interface DicomwebPorts {
  archive: Archive;
  qido: QidoService;
  publicUrl: string;
}

type Params = { study?: string; series?: string; instance?: string; frames?: string; '*'?: string };

const DICOM_JSON = 'application/dicom+json';

function scopeOf(p: Params): InstanceScope {
  return { studyUid: p.study!, seriesUid: p.series, sopUid: p.instance };
}

function sendBinary(reply: FastifyReply, r: BinaryResponse) {
  return reply
    .headers(r.headers ?? {})
    .type(r.contentType)
    .send(Readable.from(r.body, { objectMode: false, highWaterMark: 1 << 20 }));
}

/** The DICOMweb edge: parse the HTTP request, call the transport-free handler, write the reply. */
export function registerDicomweb(app: FastifyInstance, ports: DicomwebPorts): void {
  // STOW bodies are streamed to the handler untouched, whatever their type (it answers 415 itself).
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  const store = async (req: { headers: Record<string, string | string[] | undefined>; raw: AsyncIterable<Buffer> }, studyUid?: string) =>
    stow({ contentType: req.headers['content-type'] as string | undefined, body: req.raw, studyUid }, ports);

  for (const path of ['/dicomweb/studies', '/dicomweb/studies/:study']) {
    app.post<{ Params: Params }>(path, async (req, reply) => {
      const res = await store(req, req.params.study);
      for (const w of res.warnings.slice(0, 20)) reply.header('warning', warningHeader(w));
      return reply.code(res.status).type(DICOM_JSON).send(JSON.stringify(res.body));
    });
  }

  const search = (level: QidoLevel) => async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const query = queryParams(req.raw.url ?? '');
    const res = ports.qido.search({ level, studyUid: req.params.study, seriesUid: req.params.series, query });
    for (const w of res.warnings) reply.header('warning', w);
    return reply.type(DICOM_JSON).send(JSON.stringify(res.body));
  };
  app.get('/dicomweb/studies', search('study'));
  app.get('/dicomweb/series', search('series'));
  app.get('/dicomweb/instances', search('instance'));
  app.get('/dicomweb/studies/:study/series', search('series'));
  app.get('/dicomweb/studies/:study/instances', search('instance'));
  app.get('/dicomweb/studies/:study/series/:series/instances', search('instance'));

  for (const path of ['/dicomweb/studies/:study', '/dicomweb/studies/:study/series/:series', '/dicomweb/studies/:study/series/:series/instances/:instance']) {
    app.get<{ Params: Params }>(path, async (req, reply) =>
      sendBinary(reply, await retrieveInstances(scopeOf(req.params), req.headers.accept, ports)),
    );
    app.get<{ Params: Params }>(`${path}/metadata`, async (req, reply) => {
      const res = retrieveMetadata(scopeOf(req.params), req.headers['if-none-match'], ports);
      reply.header('etag', res.etag).header('cache-control', 'private, no-cache');
      if (res.notModified) return reply.code(304).send();
      return reply.type(DICOM_JSON).send(res.body);
    });
    app.delete<{ Params: Params }>(path, async (req, reply) => {
      const count = await ports.archive.delete(scopeOf(req.params), 'http:' + (req.ip ?? 'unknown'), 'DELETE ' + req.url.split('?')[0]);
      if (count === 0) throw notFound('nothing to delete: no instance with these UIDs');
      return reply.code(200).type('application/json').send({ deleted: count });
    });
  }

  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/instances/:instance/frames/:frames', async (req, reply) =>
    sendBinary(reply, await retrieveFrames(scopeOf(req.params), req.params.frames!, req.headers.accept, ports)),
  );
  app.get<{ Params: Params }>('/dicomweb/studies/:study/series/:series/instances/:instance/bulk/*', async (req, reply) =>
    sendBinary(reply, await retrieveBulkData(scopeOf(req.params), req.params['*']!, req.headers.accept, ports)),
  );
}
