/**
 * Reference search parameters whose values are exactly those of other reference parameters of
 * the same resource type that point to one type: R4's `AuditEvent.patient` is
 * `AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is
 * Patient)`, i.e. the `agent` and `entity` values that are Patient references. Such a parameter
 * gets no index rows of its own: a search on it reads the rows of the others, restricted to the
 * target type as `resolve() is X` is evaluated at indexing (a reference that starts with `X/`
 * or contains `/X/`). An audit copy of a 100-patient list read thus stores 100 reference rows
 * instead of 200. Rows stored under the parameter itself by older versions keep being read.
 * `reference-unions.test.ts` checks each entry against the R4 expression.
 */
export interface ReferenceUnion {
  /** The parameters (of the same resource type) whose rows hold the values. */
  of: string[];
  targetType: string;
}

const UNIONS = new Map<string, ReferenceUnion>([
  ['AuditEvent.patient', { of: ['agent', 'entity'], targetType: 'Patient' }],
]);

export function referenceUnion(resourceType: string, code: string): ReferenceUnion | undefined {
  return UNIONS.get(`${resourceType}.${code}`);
}

/** Every union, for the test that holds them to R4. */
export function referenceUnions(): [string, ReferenceUnion][] {
  return [...UNIONS];
}

/** How a backend tests a text column: `starts` (prefix) and `contains` (substring), bound as `?`. */
export interface TextTests {
  starts: (column: string) => string;
  contains: (column: string) => string;
}

/**
 * The sp_reference rows of a parameter, as a predicate (`column` prefixes the columns, e.g.
 * `s.`): `param = ?`, or for a union the rows of its parameters that point to its target type.
 * Undefined when none of the parameters has an id (nothing was ever indexed for them).
 */
export function referenceParamTest(
  resourceType: string,
  code: string,
  ids: (resourceType: string, code: string) => number | undefined,
  text: TextTests,
  column = '',
): { sql: string; args: (string | number)[] } | undefined {
  const own = ids(resourceType, code);
  const union = referenceUnion(resourceType, code);
  if (!union) return own === undefined ? undefined : { sql: `${column}param = ?`, args: [own] };
  const params = [own, ...union.of.map((c) => ids(resourceType, c))].filter((p): p is number => p !== undefined);
  if (params.length === 0) return undefined;
  const t = union.targetType;
  return {
    sql: `(${column}param IN (${params.map(() => '?').join(', ')}) AND (${column}target_type = ? OR (${column}target_type IS NULL AND (${text.starts(`${column}url`)} OR ${text.contains(`${column}url`)}))))`,
    args: [...params, t, `${t}/`, `/${t}/`],
  };
}
