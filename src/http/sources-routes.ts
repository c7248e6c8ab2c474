import type { FastifyInstance } from 'fastify';
import { STEWARD_ROLES, access } from './security/route-access.js';

/** What the status route needs: the sources' state as the database and the runners know it. */
export interface SourcesStatusPort {
  status(): Promise<unknown[]>;
}

/** GET /api/sources: progress of every watched PACS (the same data as `imaging-bridge sources status`). */
export function registerSourcesRoutes(app: FastifyInstance, sources: SourcesStatusPort): void {
  app.get('/api/sources', access({ kind: 'roles', roles: STEWARD_ROLES }), async (_req, reply) =>
    reply.type('application/json').send({ sources: await sources.status() }),
  );
}
