import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, conflict } from '../core/errors.js';
import { ADMIN_ROLES, access, noteAccess } from './security/route-access.js';

/** What an administrator may ask of a compaction run (docs/storage.md); unset = the defaults. */
export interface CompactionRequest {
  minReclaimRatio?: number;
  maxBytesPerSecond?: number;
  graceSeconds?: number;
}

/** The pack compaction of the archive, as the routes need it. */
export interface StorageAdminPort {
  compactionStatus(): { state: string };
  /** Starts a run in the background; false when one is running. */
  startCompaction(request: CompactionRequest): boolean;
}

const ADMIN = access({ kind: 'roles', roles: ADMIN_ROLES });

const LIMITS: [keyof CompactionRequest, number, number][] = [
  ['minReclaimRatio', 0, 1],
  ['maxBytesPerSecond', 0, Number.MAX_SAFE_INTEGER],
  ['graceSeconds', 0, 3600],
];

/**
 * POST /api/admin/storage/compaction starts an online compaction of the pack files (202, the
 * status; 409 while one runs); GET answers its status. Administrators only; the start is
 * audited as a configuration change.
 */
export function registerStorageRoutes(app: FastifyInstance, storage: StorageAdminPort): void {
  app.get('/api/admin/storage/compaction', ADMIN, async () => storage.compactionStatus());

  app.post('/api/admin/storage/compaction', ADMIN, async (req, reply) => {
    const request = compactionRequest(req);
    noteAccess(req, { event: 'config', details: { what: 'storage-compaction-started', target: 'packs' } });
    if (!storage.startCompaction(request)) throw conflict('a compaction is running already');
    return reply.code(202).send(storage.compactionStatus());
  });
}

function compactionRequest(req: FastifyRequest): CompactionRequest {
  const body = req.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the body must be a JSON object (Content-Type: application/json)');
  const out: CompactionRequest = {};
  for (const name of Object.keys(body)) {
    if (!LIMITS.some(([n]) => n === name)) throw badRequest(`unknown field "${name}"`, name);
  }
  for (const [name, min, max] of LIMITS) {
    if (!Object.hasOwn(body, name)) continue;
    const v = (body as Record<string, unknown>)[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      throw badRequest(`${name} must be a number from ${min} to ${max}`, name);
    out[name] = v;
  }
  return out;
}
