import type { FastifyInstance } from 'fastify';
import type { Bridge } from '../bridge/sync/index.js';
import { badRequest, notFound } from '../core/errors.js';
import { STEWARD_ROLES, access } from './security/route-access.js';

const STEWARD = access({ kind: 'roles', roles: STEWARD_ROLES });

type Params = { study: string };
type Query = { study?: string; severity?: string; state?: string; limit?: string; offset?: string; comment?: string };

const SEVERITIES = ['info', 'warning', 'error'] as const;
const STATES = ['held', 'released', 'rejected'] as const;

function count(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,7}$/.test(value)) throw badRequest(`${name} must be a non-negative integer`);
  return Number(value);
}

/** Data quality and the FHIR sync: findings, quarantine decisions, dead letters, the target's capabilities. */
export function registerDataQualityRoutes(
  app: FastifyInstance,
  bridge: Pick<Bridge, 'admin' | 'status' | 'release' | 'reject' | 'replay'>,
): void {
  app.get('/api/sync/status', STEWARD, async () => bridge.status());

  app.post<{ Querystring: Query }>('/api/sync/replay', STEWARD, async (req) => ({
    replayed: await bridge.replay(req.query.study),
  }));

  app.get<{ Querystring: Query }>('/api/data-quality', STEWARD, async (req) => {
    const { study, severity } = req.query;
    if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity))
      throw badRequest(`severity must be one of ${SEVERITIES.join(', ')}`);
    const findings = await bridge.admin.findings({
      ...(study ? { studyUid: study } : {}),
      ...(severity ? { severity: severity as (typeof SEVERITIES)[number] } : {}),
      limit: Math.min(count(req.query.limit, 'limit', 1000), 10_000),
      offset: count(req.query.offset, 'offset', 0),
    });
    return { findings, quarantined: await bridge.admin.list('held') };
  });

  app.get<{ Querystring: Query }>('/api/quarantine', STEWARD, async (req) => {
    const state = req.query.state;
    if (state !== undefined && !(STATES as readonly string[]).includes(state))
      throw badRequest(`state must be one of ${STATES.join(', ')}`);
    return { studies: await bridge.admin.list((state as (typeof STATES)[number] | undefined) ?? 'held') };
  });

  app.get<{ Params: Params }>('/api/quarantine/:study', STEWARD, async (req) => {
    const shown = await bridge.admin.show(req.params.study);
    if (!shown) throw notFound('no data-quality record for this study');
    return shown;
  });

  for (const action of ['release', 'reject'] as const) {
    app.post<{ Params: Params; Querystring: Query }>(`/api/quarantine/:study/${action}`, STEWARD, async (req) => {
      const done = await bridge[action](req.params.study, `http:${req.ip ?? 'unknown'}`, req.query.comment);
      if (!done) throw notFound('this study is not in quarantine');
      return {
        study: req.params.study,
        state: action === 'release' ? 'released' : 'rejected',
        sync: (await bridge.admin.show(req.params.study))?.lastSync,
      };
    });
  }
}
