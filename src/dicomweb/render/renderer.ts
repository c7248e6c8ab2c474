import { availableParallelism } from 'node:os';
import { RenderPool, defaultRenderThreads } from './render-pool.js';
import { ThumbnailCache } from './thumbnail-cache.js';

/** The rendering resources of one server: its worker threads and its thumbnail cache. */
export interface Renderer {
  pool: RenderPool;
  thumbnails: ThumbnailCache;
  close(): Promise<void>;
}

export interface RendererOptions {
  /** Worker threads; 0 or absent = defaultRenderThreads(cores). */
  threads?: number;
  /** Frames that may wait for a thread before requests are refused with 503. */
  queueLimit?: number;
  /** Memory for cached thumbnails. */
  cacheBytes?: number;
  /** Nice value of the render threads (Linux); default RENDER_THREAD_NICE, 0 = normal priority. */
  nice?: number;
  /** Told each time a render thread starts. */
  onThreadStart?: (threads: number) => void;
}

export const DEFAULT_RENDER_QUEUE = 64;
export const DEFAULT_THUMBNAIL_CACHE_BYTES = 64 * 1024 * 1024;
const JOB_TIMEOUT_MS = 30_000;
/**
 * Rendering yields to everything else: at nice 19 a render thread gets the CPU only when ingest,
 * QIDO and the event loop leave it idle (bench P13c: STOW under 20 thumbnail clients).
 */
export const RENDER_THREAD_NICE = 19;

export function createRenderer(opts: RendererOptions = {}): Renderer {
  const pool = new RenderPool({
    size: opts.threads || defaultRenderThreads(availableParallelism()),
    queueLimit: opts.queueLimit || DEFAULT_RENDER_QUEUE,
    jobTimeoutMs: JOB_TIMEOUT_MS,
    nice: opts.nice ?? RENDER_THREAD_NICE,
    onThreadStart: opts.onThreadStart,
  });
  const thumbnails = new ThumbnailCache(opts.cacheBytes ?? DEFAULT_THUMBNAIL_CACHE_BYTES);
  return { pool, thumbnails, close: () => pool.close() };
}
