/** A piece of WHERE clause and the values bound to its `?` placeholders, in order. */
export interface SqlPart {
  sql: string;
  params: unknown[];
}

export const sqlPart = (sql: string, ...params: unknown[]): SqlPart => ({ sql, params });

export function allOf(parts: SqlPart[]): SqlPart {
  if (parts.length === 1) return parts[0]!;
  return { sql: parts.map((p) => `(${p.sql})`).join(' AND '), params: parts.flatMap((p) => p.params) };
}

export function anyOf(parts: SqlPart[]): SqlPart {
  if (parts.length === 1) return parts[0]!;
  return { sql: parts.map((p) => `(${p.sql})`).join(' OR '), params: parts.flatMap((p) => p.params) };
}
