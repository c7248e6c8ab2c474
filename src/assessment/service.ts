/** The assessment as the server runs it (POST /api/assessment): the request, this server's configuration, the clock. */
import type { Config } from '../config/schema.js';
import { badRequest } from '../core/errors.js';
import { assess } from './assess.js';
import { FORMATS } from './render.js';
import { parseAssessRequest } from './request.js';
import { parseDuration, parseSince, resolveTargets } from './targets.js';
import type { Assessment } from './types.js';

export interface AssessmentService {
  /** Validates `body` (badRequest with the field) and runs the assessment. */
  run(body: unknown): Promise<{ assessment: Assessment; format: (typeof FORMATS)[number] }>;
}

export function assessmentService(config: Config, clock: () => Date = () => new Date()): AssessmentService {
  return {
    async run(body) {
      const r = parseAssessRequest(body);
      const now = clock();
      const format = (r.format ?? 'json') as (typeof FORMATS)[number];
      if (!(FORMATS as readonly string[]).includes(format))
        throw badRequest(`format must be one of ${FORMATS.join(', ')}`, 'format');
      const targets = resolveTargets(r, config);
      // An HTTP request should not wait for minutes: at most 60 s per probe.
      const timeoutMs = parseDuration(r.timeout ?? '10s', 'timeout', 60_000);
      const since = parseSince(r.since ?? '30d', now);
      return { assessment: await assess(targets, { since, timeoutMs, probeStow: r.probeStow === true, now }), format };
    },
  };
}
