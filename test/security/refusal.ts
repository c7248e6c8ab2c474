import { expect } from 'vitest';
import type { Answer, SmartBench } from './harness.js';

/** Runs `attempt` and asserts a 403 OperationOutcome (forbidden) and an audit record of the refusal written for it. */
export async function expectRefused(bench: SmartBench, attempt: () => Promise<Answer>, what: string): Promise<Answer> {
  const before = bench.auditHead();
  const r = await attempt();
  expect(r.status, `${what}: ${r.text}`).toBe(403);
  expect(r.body.resourceType).toBe('OperationOutcome');
  expect(r.body.issue[0].code).toBe('forbidden');
  expect(
    bench.auditSince(before).some((e) => e.outcome !== '0'),
    `${what}: audit record of the refusal`,
  ).toBe(true);
  return r;
}
