/**
 * `LIMIT n` with the number in the SQL text, for statements that are prepared once and run
 * many times. A bound LIMIT (`LIMIT ?`) makes SQLite re-prepare the statement every time it is
 * bound, because the planner looks at its value: about 7–10 µs per run, more than the small
 * searches behind a patient context take to run. OFFSET may stay bound (it costs nothing);
 * the limit is a checked integer, so writing it into the SQL cannot inject anything, and the
 * few distinct page sizes keep the statement caches small.
 */
export function limitSql(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new RangeError(`LIMIT must be a non-negative integer, got ${limit}`);
  return `LIMIT ${limit}`;
}
