import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { Archive } from '../archive/archive.js';
import type { InstanceScope } from '../archive/types.js';
import type { QidoService, QidoLevel } from '../archive/query/index.js';
import { retrieveBulkData, retrieveFrames } from '../dicomweb/retrieve-frames.js';
import { retrieveInstances, type BinaryResponse } from '../dicomweb/retrieve-instances.js';
import { retrieveMetadata } from '../dicomweb/retrieve-metadata.js';
import { retrieveRendered, retrieveThumbnail, type RenderedRequest } from '../dicomweb/retrieve-rendered.js';
import { createRenderer, type Renderer } from '../dicomweb/render/renderer.js';
import { SlabPool } from '../dicomweb/slab-pool.js';
import { qidoBody } from '../dicomweb/qido-response.js';
import { stow } from '../dicomweb/stow.js';
import { warningHeader } from './errors.js';
import { queryParams } from '../core/query-string.js';
import { access, noteAccess } from './security/route-access.js';
import { forbidden, notFound } from '../core/errors.js';

const READ = access({ kind: 'dicomweb', need: 'read' });
const CREATE = access({ kind: 'dicomweb', need: 'create' });
const DELETE = access({ kind: 'dicomweb', need: 'delete' });

export interface DicomwebPorts {
  archive: Archive;
  qido: QidoService;
  publicUrl: string;
  /**
   * Study Instance UIDs of one FHIR Patient (for patient-bound tokens); required under --auth smart.
   * Must come from data no client can write (the bridge's links, src/bridge/patients/study-links.ts).
   */
  studiesOfPatient?: (patientId: string) => Promise<string[]>;
  /** Rendered and thumbnail resources (worker threads, thumbnail cache); closed with the app. Default: createRenderer(). */
  render?: Renderer;
  /** Read slabs shared by the study/series retrieves (reused from one retrieve to the next). Default: a new SlabPool. */
  slabs?: SlabPool;
}

type Params = { study?: string; series?: string; instance?: string; frames?: string; '*'?: string };

const DICOM_JSON = 'application/dicom+json';

function scopeOf(p: Params): InstanceScope {
  return { studyUid: p.study!, seriesUid: p.series, sopUid: p.instance };
}

function sendBinary(reply: FastifyReply, r: BinaryResponse) {
  const stream = Readable.from(r.body, { objectMode: false, highWaterMark: 1 << 20 });
  // What the body yielded and the operating system has not taken yet: in the stream's buffer, or
  // written to the response and queued on its socket (plus a few framing bytes). The stream goes
  // to the response untouched (no hook transforms a stream payload).
  r.trackedBy?.({ held: () => stream.readableLength + reply.raw.writableLength });
  // 'finish': the last byte was taken by the socket (an aborted response never finishes).
  if (r.sent) reply.raw.once('finish', r.sent);
  return reply
    .headers(r.headers ?? {})
    .type(r.contentType)
    .send(stream);
}

/** The DICOMweb edge: parse the HTTP request, call the transport-free handler, write the reply. */
export function registerDicomweb(app: FastifyInstance, ports: DicomwebPorts): void {
  // STOW bodies are streamed to the handler untouched, whatever their type (it answers 415 itself).
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  const store = async (
    req: { headers: Record<string, string | string[] | undefined>; raw: AsyncIterable<Buffer> },
    studyUid?: string,
  ) => stow({ contentType: req.headers['content-type'] as string | undefined, body: req.raw, studyUid }, ports);

  /** The studies a patient-bound token may see (undefined: no restriction). */
  const visibleStudies = async (req: FastifyRequest): Promise<Set<string> | undefined> => {
    if (req.patientRestriction === undefined) return undefined;
    if (!ports.studiesOfPatient) throw forbidden('patient-bound access to DICOMweb is not available on this server');
    return new Set(await ports.studiesOfPatient(req.patientRestriction));
  };
  /** One study named in the path: refused when it is outside the token's patient. */
  const checkStudy = async (req: FastifyRequest<{ Params: Params }>, event: string) => {
    const visible = await visibleStudies(req);
    // Noted first: a refusal is recorded with the study and the token's patient too.
    noteAccess(req, {
      event,
      studyUids: [req.params.study!],
      ...(req.patientRestriction ? { patientIds: [req.patientRestriction] } : {}),
    });
    if (visible && !visible.has(req.params.study!))
      throw forbidden("this study is outside the token's patient compartment");
  };

  const render = ports.render ?? createRenderer();
  app.addHook('onClose', () => render.close());
  const slabs = ports.slabs ?? new SlabPool();
  app.addHook('onClose', async () => slabs.close());
  const retrievePorts = { archive: ports.archive, slabs };

  for (const path of ['/dicomweb/studies', '/dicomweb/studies/:study']) {
    app.post<{ Params: Params }>(path, CREATE, async (req, reply) => {
      // Which Patient new instances belong to is only known after the bridge has matched them.
      if (req.patientRestriction !== undefined)
        throw forbidden('STOW-RS needs a user/ or system/ ImagingStudy.c scope, not a patient-bound token');
      const res = await store(req, req.params.study);
      noteAccess(req, { event: 'import', studyUids: storedStudies(res.body) });
      // One Warning field per reason (reply.header would keep only the last).
      if (res.warnings.length > 0) reply.header('warning', res.warnings.slice(0, 20).map(warningHeader));
      return reply.code(res.status).type(DICOM_JSON).send(JSON.stringify(res.body));
    });
  }

  const search = (level: QidoLevel) => async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const query = queryParams(req.raw.url ?? '');
    const visible = await visibleStudies(req);
    noteAccess(req, {
      event: 'query',
      details: { query: (req.raw.url ?? '').split('?')[1] ?? '' },
      ...(req.patientRestriction ? { patientIds: [req.patientRestriction] } : {}),
    });
    if (visible && !restrictToStudies(query, req.params.study, visible)) return reply.type(DICOM_JSON).send('[]');
    const res = await ports.qido.open({ level, studyUid: req.params.study, seriesUid: req.params.series, query });
    // One Warning field per warning (reply.header called per value would keep only the last).
    if (res.warnings.length > 0) reply.header('warning', res.warnings);
    return reply.type(DICOM_JSON).send(await qidoBody(res));
  };
  app.get('/dicomweb/studies', READ, search('study'));
  app.get('/dicomweb/series', READ, search('series'));
  app.get('/dicomweb/instances', READ, search('instance'));
  app.get('/dicomweb/studies/:study/series', READ, search('series'));
  app.get('/dicomweb/studies/:study/instances', READ, search('instance'));
  app.get('/dicomweb/studies/:study/series/:series/instances', READ, search('instance'));

  for (const path of [
    '/dicomweb/studies/:study',
    '/dicomweb/studies/:study/series/:series',
    '/dicomweb/studies/:study/series/:series/instances/:instance',
  ]) {
    app.get<{ Params: Params }>(path, READ, async (req, reply) => {
      await checkStudy(req, 'instances-accessed');
      return sendBinary(reply, await retrieveInstances(scopeOf(req.params), req.headers.accept, retrievePorts));
    });
    app.get<{ Params: Params }>(`${path}/metadata`, READ, async (req, reply) => {
      await checkStudy(req, 'instances-accessed');
      const res = await retrieveMetadata(scopeOf(req.params), req.headers['if-none-match'], ports);
      reply.header('etag', res.etag).header('cache-control', 'private, no-cache');
      if (res.notModified) return reply.code(304).send();
      return reply.type(DICOM_JSON).send(res.body);
    });
    app.delete<{ Params: Params }>(path, DELETE, async (req, reply) => {
      noteAccess(req, { event: 'delete', studyUids: [req.params.study!] });
      const count = await ports.archive.delete(
        scopeOf(req.params),
        `http:${req.ip ?? 'unknown'}`,
        `DELETE ${req.url.split('?')[0]}`,
      );
      if (count === 0) throw notFound('nothing to delete: no instance with these UIDs');
      render.thumbnails.evict(req.params.study!, req.params.series, req.params.instance);
      return reply.code(200).type('application/json').send({ deleted: count });
    });
  }

  app.get<{ Params: Params }>(
    '/dicomweb/studies/:study/series/:series/instances/:instance/frames/:frames',
    READ,
    async (req, reply) => {
      await checkStudy(req, 'instances-accessed');
      return sendBinary(
        reply,
        await retrieveFrames(scopeOf(req.params), req.params.frames!, req.headers.accept, ports),
      );
    },
  );
  app.get<{ Params: Params }>(
    '/dicomweb/studies/:study/series/:series/instances/:instance/bulk/*',
    READ,
    async (req, reply) => {
      await checkStudy(req, 'instances-accessed');
      return sendBinary(
        reply,
        await retrieveBulkData(scopeOf(req.params), req.params['*']!, req.headers.accept, ports),
      );
    },
  );

  // Rendered and thumbnail resources: same scope and audit as retrieving the instances themselves.
  for (const path of [
    '/dicomweb/studies/:study',
    '/dicomweb/studies/:study/series/:series',
    '/dicomweb/studies/:study/series/:series/instances/:instance',
    '/dicomweb/studies/:study/series/:series/instances/:instance/frames/:frames',
  ]) {
    for (const kind of ['rendered', 'thumbnail'] as const) {
      app.get<{ Params: Params }>(`${path}/${kind}`, READ, async (req, reply) => {
        await checkStudy(req, 'instances-accessed');
        const query = queryParams(req.raw.url ?? '');
        const request: RenderedRequest = {
          scope: scopeOf(req.params),
          frames: req.params.frames,
          query: {
            accept: query.get('accept') ?? undefined,
            window: query.get('window') ?? undefined,
            viewport: query.get('viewport') ?? undefined,
            quality: query.get('quality') ?? undefined,
          },
          accept: req.headers.accept,
          ifNoneMatch: req.headers['if-none-match'],
        };
        const renderPorts = { archive: ports.archive, render };
        const res =
          kind === 'rendered'
            ? await retrieveRendered(request, renderPorts)
            : await retrieveThumbnail(request, renderPorts);
        if (res.warnings.length > 0)
          reply.header(
            'warning',
            warningHeader(`${res.warnings.length} image(s) left out; the first: ${res.warnings[0]}`),
          );
        reply.headers(res.headers ?? {});
        if (res.status === 304) return reply.code(304).send();
        if (Buffer.isBuffer(res.body)) return reply.type(res.contentType).send(res.body);
        return sendBinary(reply, { contentType: res.contentType, body: res.body });
      });
    }
  }
}

const STUDY_KEYS = ['StudyInstanceUID', '0020000D', '0020000d'];

/**
 * Narrows a QIDO query to the visible studies: ANDs a StudyInstanceUID list into it (intersecting
 * one the client gave). False when nothing visible can match.
 */
export function restrictToStudies(
  query: URLSearchParams,
  pathStudy: string | undefined,
  visible: Set<string>,
): boolean {
  if (pathStudy !== undefined) return visible.has(pathStudy);
  let allowed = [...visible];
  for (const key of STUDY_KEYS) {
    for (const value of query.getAll(key)) {
      const asked = new Set(value.split(/[,\\]/).map((u) => u.trim()));
      allowed = allowed.filter((u) => asked.has(u));
    }
    query.delete(key);
  }
  if (allowed.length === 0) return false;
  query.set('StudyInstanceUID', allowed.join(','));
  return true;
}

/** Study Instance UIDs of the instances a STOW stored (ReferencedSOPSequence → RetrieveURL). */
function storedStudies(body: unknown): string[] {
  const refs = (body as Record<string, { Value?: Record<string, { Value?: string[] }>[] }>)['00081199']?.Value ?? [];
  const studies = new Set<string>();
  for (const r of refs) {
    const url = r['00081190']?.Value?.[0];
    const m = url ? /\/studies\/([^/]+)/.exec(url) : null;
    if (m) studies.add(m[1]);
  }
  return [...studies];
}
