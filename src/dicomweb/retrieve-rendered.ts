/**
 * WADO-RS rendered and thumbnail resources (PS3.18 §10.4.1.1.3–4): …/rendered and …/thumbnail
 * of a study, series, instance or frames. One image is sent as itself; several (the frames of a
 * multi-frame instance, every image of a series or study) as multipart/related, one part per
 * frame. A thumbnail is always one image: the middle frame of the middle image instance of the
 * series (for a study, of its first series holding images).
 */
import { createHash } from 'node:crypto';
import type { Archive } from '../archive/archive.js';
import { withBlobSource } from '../archive/blob/blob-source.js';
import { isRemoteKey } from '../archive/remote.js';
import type { InstanceScope, StoredInstance } from '../archive/types.js';
import { notAcceptable, notFound } from '../core/errors.js';
import { DicomParseError, FrameRangeError } from '../dicom/index.js';
import { readRenderInput, type RenderInput } from '../dicom/render/pixel-input.js';
import { canRender } from '../dicom/render/renderable-syntaxes.js';
import { MultipartWriter } from './multipart.js';
import type { Renderer } from './render/renderer.js';
import { optionsKey, renderOptions, type RenderOptions, type RenderQuery } from './render/render-params.js';
import { parseFrameList } from './retrieve-frames.js';
import { ensureLocal } from './retrieve-instances.js';

export interface RenderPorts {
  archive: Archive;
  render: Renderer;
}

export interface RenderedRequest {
  scope: InstanceScope;
  /** The `{frames}` path segment (frame-level resources only). */
  frames?: string;
  query: RenderQuery;
  accept?: string;
  /** For thumbnails: the ETag the client holds. */
  ifNoneMatch?: string;
}

export interface RenderedResponse {
  /** 304 when the client's thumbnail is current (empty body then). */
  status: 200 | 304;
  contentType: string;
  /** One image whole; several as a multipart stream. */
  body: Buffer | AsyncIterable<Buffer>;
  headers?: Record<string, string>;
  /** Study/series images that were left out (no decoder for their transfer syntax). */
  warnings: string[];
}

const RENDERED_DEFAULTS = { quality: 90 };
const THUMBNAIL_DEFAULTS = { quality: 75, viewport: { width: 128, height: 128 } };

/** One frame of one instance. */
interface Image {
  instance: StoredInstance;
  frame: number;
}

/** SOP classes without pixels to show: SR, key objects, presentation states, encapsulated documents, waveforms, raw data. */
const NOT_IMAGES = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(88|11|104|9|66\.[1235]$|481\.[2-9])/;

const isImage = (i: StoredInstance) => !NOT_IMAGES.test(i.sopClassUid);

const levelOf = (scope: InstanceScope) => (scope.sopUid ? 'instance' : scope.seriesUid ? 'series' : 'study');

async function instancesIn(scope: InstanceScope, archive: Archive): Promise<StoredInstance[]> {
  const level = levelOf(scope);
  if ((await archive.instances(scope)).length === 0) throw notFound(`no ${level} with these UIDs`);
  await ensureLocal(scope, archive);
  const instances = await archive.instances(scope);
  if (instances.length === 0) throw notFound(`no ${level} with these UIDs`);
  return instances;
}

function framesOf(instance: StoredInstance, list: string | undefined): Image[] {
  const numbers = list ? parseFrameList(list) : Array.from({ length: instance.numberOfFrames }, (_, i) => i + 1);
  for (const n of numbers) {
    if (n > instance.numberOfFrames)
      throw notFound(`frame ${n} does not exist: the instance has ${instance.numberOfFrames} frame(s)`);
  }
  return numbers.map((frame) => ({ instance, frame }));
}

function unrenderable(i: StoredInstance): string {
  return `instance ${i.sopUid} has transfer syntax ${i.transferSyntaxUid}, which no decoder here can read`;
}

/** Renders one frame through the worker pool; reading and parsing stay on this thread (they are cheap). */
async function renderImage(image: Image, options: RenderOptions, ports: RenderPorts): Promise<Buffer> {
  const blob = await ports.archive.blobs.open(image.instance.blobKey);
  let input: RenderInput;
  try {
    input = await withBlobSource(blob, (source) => readRenderInput(source, [image.frame]));
  } catch (e) {
    if (e instanceof FrameRangeError) throw notFound(e.message);
    if (e instanceof DicomParseError) throw notAcceptable(`cannot render this instance: ${e.message}`);
    throw e;
  } finally {
    await blob.close();
  }
  return ports.render.pool.render(input, options);
}

/** …/rendered at any level. */
export async function retrieveRendered(req: RenderedRequest, ports: RenderPorts): Promise<RenderedResponse> {
  const options = renderOptions(req.query, req.accept, RENDERED_DEFAULTS);
  const instances = await instancesIn(req.scope, ports.archive);
  const warnings: string[] = [];
  let images: Image[];
  if (req.scope.sopUid) {
    const instance = instances[0]!;
    if (!canRender(instance.transferSyntaxUid)) throw notAcceptable(unrenderable(instance));
    images = framesOf(instance, req.frames);
  } else {
    images = [];
    for (const i of instances.filter(isImage)) {
      if (canRender(i.transferSyntaxUid)) images.push(...framesOf(i, undefined));
      else warnings.push(unrenderable(i));
    }
    if (images.length === 0)
      throw notAcceptable(`nothing here can be rendered${warnings.length ? `: ${warnings[0]}` : ' (no images)'}`);
  }
  if (images.length === 1) {
    const body = await renderImage(images[0]!, options, ports);
    return { status: 200, contentType: options.type, body, warnings };
  }
  const writer = new MultipartWriter();
  // Render the first frame before answering, so that a request that cannot succeed gets its status.
  const first = await renderImage(images[0]!, options, ports);
  return {
    status: 200,
    contentType: writer.contentType(options.type, ''),
    body: multipartImages(first, images.slice(1), options, writer, ports),
    warnings,
  };
}

async function* multipartImages(
  first: Buffer,
  rest: Image[],
  options: RenderOptions,
  writer: MultipartWriter,
  ports: RenderPorts,
): AsyncGenerator<Buffer> {
  const part = (b: Buffer) => [
    writer.partHeader({ 'Content-Type': options.type, 'Content-Length': String(b.length) }),
    b,
  ];
  yield* part(first);
  // One frame ahead: the next renders while the current one is written out.
  let next = rest[0] ? renderImage(rest[0], options, ports) : undefined;
  for (let k = 0; k < rest.length; k++) {
    const current = next!;
    next = rest[k + 1] ? renderImage(rest[k + 1]!, options, ports) : undefined;
    next?.catch(() => undefined); // awaited in the next round
    yield* part(await current);
  }
  yield writer.end();
}

/** The representative image of a scope: the middle instance (of the first series with images), its middle frame. */
function representative(instances: StoredInstance[], scope: InstanceScope, frames: string | undefined): Image {
  if (scope.sopUid) {
    const instance = instances[0]!;
    const frame = frames ? parseFrameList(frames)[0]! : Math.ceil(instance.numberOfFrames / 2);
    return framesOf(instance, String(frame))[0]!;
  }
  const images = instances.filter(isImage);
  const firstSeries = images[0]?.seriesUid;
  const series = images.filter((i) => i.seriesUid === firstSeries && canRender(i.transferSyntaxUid));
  const instance = series[Math.floor((series.length - 1) / 2)];
  if (!instance) {
    const other = images.find((i) => !canRender(i.transferSyntaxUid));
    throw notAcceptable(other ? unrenderable(other) : 'there is no image here to make a thumbnail of');
  }
  return { instance, frame: Math.ceil(instance.numberOfFrames / 2) };
}

/** …/thumbnail at any level: one small image, cached. */
export async function retrieveThumbnail(req: RenderedRequest, ports: RenderPorts): Promise<RenderedResponse> {
  const options = renderOptions(req.query, req.accept, THUMBNAIL_DEFAULTS);
  const listed = await ports.archive.instances(req.scope);
  if (listed.length === 0) throw notFound(`no ${levelOf(req.scope)} with these UIDs`);
  const chosen = representative(listed, req.scope, req.frames);
  // Only the chosen instance is fetched from a remote source (and its blob key changes then). A
  // local one is used as listed: no second look-up before the cache (20 viewers ask for hundreds).
  const instance = isRemoteKey(chosen.instance.blobKey)
    ? (
        await instancesIn(
          { studyUid: chosen.instance.studyUid, seriesUid: chosen.instance.seriesUid, sopUid: chosen.instance.sopUid },
          ports.archive,
        )
      )[0]!
    : chosen.instance;
  const image = { instance, frame: chosen.frame };
  const { frame } = image;
  if (!canRender(image.instance.transferSyntaxUid)) throw notAcceptable(unrenderable(image.instance));
  const key = `${image.instance.blobKey}|${frame}|${optionsKey(options)}`;
  const etag = `"${createHash('sha1').update(key).digest('base64url')}"`;
  const headers = { etag, 'cache-control': 'private, no-cache' };
  if (req.ifNoneMatch?.split(',').some((t) => t.trim() === etag))
    return { status: 304, contentType: options.type, body: Buffer.alloc(0), headers, warnings: [] };
  const { studyUid, seriesUid, sopUid } = image.instance;
  const cached = await ports.render.thumbnails.obtain(key, `${studyUid}/${seriesUid}/${sopUid}`, async () => ({
    type: options.type,
    body: await renderImage(image, options, ports),
  }));
  return { status: 200, contentType: cached.type, body: cached.body, headers, warnings: [] };
}
