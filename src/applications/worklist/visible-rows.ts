/**
 * The rows of a sorted list that a caller may see, kept per (list, policy key) while the list's
 * generation holds. With a token every study is checked against the caller's policy (its patient
 * compartment, its scopes' suffixes): over 2,400 studies that is a few tenths of a millisecond on
 * each read, and every reader with the same scopes gets the same answer until the list changes.
 */
import type { AccessPolicy } from '../../context/index.js';

/** Different policies seen between two changes of the list are few; the bound keeps odd callers from growing it. */
const MAX_KEPT = 32;

export class VisibleRows<R> {
  private readonly kept = new Map<string, { generation: number; rows: readonly R[] }>();

  /**
   * `rows` filtered by `visible`; reused for a policy with the same cache key while `generation`
   * (the list's, read after it was brought up to date) is unchanged. A policy without a key is
   * filtered on each call.
   */
  of(
    list: string,
    generation: number,
    rows: readonly R[],
    policy: AccessPolicy,
    visible: (row: R) => boolean,
  ): readonly R[] {
    if (policy.cacheKey === undefined) return rows.filter(visible);
    const key = `${list}\n${policy.cacheKey}`;
    const hit = this.kept.get(key);
    if (hit?.generation === generation) return hit.rows;
    const filtered = rows.filter(visible);
    if (!hit && this.kept.size >= MAX_KEPT) this.kept.clear();
    this.kept.set(key, { generation, rows: filtered });
    return filtered;
  }
}
